#include "generator/shadow_recipe.h"

#include <gtest/gtest.h>

namespace sfsg {
namespace {

TEST(ShadowRecipe, RoundTripsThroughJson) {
  ShadowRecipe recipe;
  recipe.profile = "data.json";
  recipe.seed = 7;
  recipe.scale = 2.5;
  recipe.files = 1000;
  recipe.dirs = 40;
  recipe.bytes = 123456789;
  recipe.rescale_targets = {3.0, 4.5};
  auto back = ShadowRecipeFromJson(ShadowRecipeToJson(recipe), "status");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->profile, "data.json");
  EXPECT_EQ(back->seed, 7u);
  EXPECT_EQ(back->scale, 2.5);
  EXPECT_EQ(back->files, 1000u);
  EXPECT_EQ(back->dirs, 40u);
  EXPECT_EQ(back->bytes, 123456789u);
  EXPECT_EQ(back->rescale_targets, recipe.rescale_targets);
}

TEST(ShadowRecipe, RebuildsARescaledNamespace) {
  ShadowRecipe recipe;
  recipe.seed = 3;
  recipe.files = 2000;
  auto live = Namespace::Create(DefaultProfile(), recipe.Options());
  ASSERT_TRUE(live.ok());
  const double base = (*live)->scale();
  for (const double target : {base * 1.5, base * 2.2}) {
    auto change = (*live)->Rescale(target);
    ASSERT_TRUE(change.ok()) << change.error().message;
    if (change->old_layers != change->new_layers) recipe.rescale_targets.push_back(target);
  }
  ASSERT_GT((*live)->layer_count(), 1u);
  auto rebuilt = BuildNamespace(DefaultProfile(), recipe);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_EQ((*rebuilt)->entry_count(), (*live)->entry_count());
  EXPECT_EQ((*rebuilt)->dir_count(), (*live)->dir_count());
  EXPECT_EQ((*rebuilt)->layer_count(), (*live)->layer_count());
  EXPECT_EQ((*rebuilt)->total_bytes(), (*live)->total_bytes());
}

TEST(ShadowRecipe, AStatusWithoutARecipeIsUnsupported) {
  auto missing = ShadowRecipeFromJson(Json{{"seed", 1}}, "old/.sfsg/status");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kUnsupported);
  Json bad = ShadowRecipeToJson(ShadowRecipe{});
  bad["rescale_targets"] = Json::array({"x"});
  auto wrong = ShadowRecipeFromJson(bad, "status");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kBadInput);
}

}  // namespace
}  // namespace sfsg
