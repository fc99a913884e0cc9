#include "generator/shadow_recipe.h"

namespace sfsg {

NamespaceOptions ShadowRecipe::Options() const {
  return NamespaceOptions{
      .seed = seed, .scale = scale, .files = files, .dirs = dirs, .bytes = bytes};
}

Json ShadowRecipeToJson(const ShadowRecipe& r) {
  return {{"profile", r.profile},
          {"seed", r.seed},
          {"mounted_with",
           {{"scale", r.scale}, {"files", r.files}, {"dirs", r.dirs}, {"bytes", r.bytes}}},
          {"rescale_targets", r.rescale_targets}};
}

Result<ShadowRecipe> ShadowRecipeFromJson(const Json& status, const std::string& where) {
  const Json& base = status.value("mounted_with", Json());
  const Json& targets = status.value("rescale_targets", Json());
  if (!base.is_object() || !targets.is_array())
    return Error::Unsupported(where +
                              ": a re-scaled shadow without \"mounted_with\" and "
                              "\"rescale_targets\" (mounted by an older sfsg-mount)");
  ShadowRecipe recipe;
  try {
    recipe.profile = status.value("profile", recipe.profile);
    recipe.seed = status.at("seed").get<uint64_t>();
    recipe.scale = base.at("scale").get<double>();
    recipe.files = base.at("files").get<uint64_t>();
    recipe.dirs = base.at("dirs").get<uint64_t>();
    recipe.bytes = base.at("bytes").get<uint64_t>();
  } catch (const Json::exception& e) {
    return Error::BadInput(where + ": mounted_with: " + e.what());
  }
  for (const Json& target : targets) {
    if (!target.is_number()) return Error::BadInput(where + ": rescale_targets: not a number");
    recipe.rescale_targets.push_back(target.get<double>());
  }
  return recipe;
}

Result<std::unique_ptr<Namespace>> BuildNamespace(const Profile& profile,
                                                  const ShadowRecipe& recipe) {
  auto ns = Namespace::Create(profile, recipe.Options());
  if (!ns) return ns.error();
  for (const double target : recipe.rescale_targets)
    if (auto change = (*ns)->Rescale(target); !change) return change.error();
  return std::move(*ns);
}

}  // namespace sfsg
