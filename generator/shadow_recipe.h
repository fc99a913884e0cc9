// ShadowRecipe: what rebuilds a shadow's namespace, the value that travels between the
// mount (which writes it), the forecaster (which adds its re-scales) and sfsg-replay
// (which reads it from /.sfsg/status to stand up the same tree without mounting it).
//
// A namespace is a pure function of (profile, options): the recipe is the options the
// shadow was mounted with plus the targets of the re-scales that changed its layers, in
// order (a layer's size depends on what was there before it). The profile itself travels
// as /.sfsg/profile; the recipe names only where it came from.
//
// In /.sfsg/status the recipe's fields sit at the top level: "profile", "seed",
// "mounted_with" ({scale, files, dirs, bytes}; 0 for not given) and "rescale_targets"
// (a list).
// Plain value; thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "generator/namespace.h"
#include "generator/profile.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

struct ShadowRecipe {
  std::string profile = "builtin";  // where the profile came from ("builtin" or a path)
  uint64_t seed = 1;
  double scale = 1.0;
  uint64_t files = 0, dirs = 0, bytes = 0;  // as mounted; 0: from the scale
  std::vector<double> rescale_targets;      // re-scales that changed the layers, in order

  NamespaceOptions Options() const;
};

// {"profile", "seed", "mounted_with": {...}, "rescale_targets": [...]}.
Json ShadowRecipeToJson(const ShadowRecipe& recipe);

// Reads the fields ShadowRecipeToJson writes from `status` (other fields are ignored).
// `where` prefixes messages. Errors: kUnsupported when "mounted_with" or
// "rescale_targets" is missing (a status written before recipes were published);
// kBadInput for a field of the wrong type.
Result<ShadowRecipe> ShadowRecipeFromJson(const Json& status, const std::string& where);

// The namespace the recipe describes: created from its options, then re-scaled to each
// target in order. Errors: those of Namespace::Create and Namespace::Rescale.
Result<std::unique_ptr<Namespace>> BuildNamespace(const Profile& profile,
                                                  const ShadowRecipe& recipe);

}  // namespace sfsg
