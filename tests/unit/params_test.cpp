// Parameters declared in a manifest, checked against what a run config gives.
#include <gtest/gtest.h>

#include "plugins/param_value.hpp"
#include "test_support.hpp"

namespace dataflex {
namespace {

std::vector<ParamSpec> specs() {
  ParamSpec k{"k", ParamType::Int, ParamValue::of_int(5), 1.0, 100.0, {}, "how many"};
  ParamSpec eta{"step_size", ParamType::Float, ParamValue::of_float(1.0), 0.0, {}, {}, "eta"};
  ParamSpec mode{"mode", ParamType::String, ParamValue::of_string("high"), {}, {}, {"low", "medium", "high"}, "bucket"};
  ParamSpec req{"target", ParamType::FloatList, std::nullopt, 0.0, {}, {}, "required list"};
  return {k, eta, mode, req};
}

ParamInput in(const std::string& name, ParamValue v) { return {name, std::move(v), "run.toml:9: dataflex.params." + name}; }

}  // namespace

TEST(Params, DefaultsFillWhatTheConfigOmits) {
  auto out = resolve_params(specs(), {in("target", ParamValue::of_float_list({1, 2}))}, "plugin 'p'", "p.toml");
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].value.int_value, 5);
  EXPECT_EQ(out[1].value.float_value, 1.0);
  EXPECT_EQ(out[2].value.string_value, "high");
  EXPECT_EQ(out[3].value.float_list, (std::vector<double>{1, 2}));
}

TEST(Params, AnIntIsAcceptedForAFloat) {
  auto out = resolve_params(specs(), {in("step_size", ParamValue::of_int(2)), in("target", ParamValue::of_float_list({}))},
                            "plugin 'p'", "p.toml");
  EXPECT_EQ(out[1].value.type, ParamType::Float);
  EXPECT_EQ(out[1].value.float_value, 2.0);
}

TEST(Params, UnknownNameIsRefusedWithASuggestion) {
  test::expect_error([] { resolve_params(specs(), {in("stepsize", ParamValue::of_float(1))}, "plugin 'p'", "p.toml"); },
                     {"run.toml:9", "unknown parameter 'stepsize'", "did you mean 'step_size'"});
}

TEST(Params, MistypedValueIsRefused) {
  test::expect_error([] { resolve_params(specs(), {in("k", ParamValue::of_float(2.5))}, "plugin 'p'", "p.toml"); },
                     {"run.toml:9", "'k' of plugin 'p' must be int, got float 2.5"});
}

TEST(Params, OutOfRangeValueIsRefused) {
  test::expect_error([] { resolve_params(specs(), {in("k", ParamValue::of_int(0))}, "plugin 'p'", "p.toml"); },
                     {"run.toml:9", "'k' = 0 is below the minimum 1"});
  test::expect_error([] { resolve_params(specs(), {in("k", ParamValue::of_int(101))}, "plugin 'p'", "p.toml"); },
                     {"is above the maximum 100"});
  test::expect_error(
      [] { resolve_params(specs(), {in("target", ParamValue::of_float_list({1, -1}))}, "plugin 'p'", "p.toml"); },
      {"'target'[1] = -1.0 is below the minimum 0.0"});
}

TEST(Params, StringOutsideItsChoicesIsRefused) {
  test::expect_error([] { resolve_params(specs(), {in("mode", ParamValue::of_string("hihg"))}, "plugin 'p'", "p.toml"); },
                     {"'mode' = \"hihg\" is not one of: low, medium, high", "did you mean 'high'"});
}

TEST(Params, MissingRequiredParameterIsRefused) {
  test::expect_error([] { resolve_params(specs(), {}, "plugin 'p'", "p.toml"); },
                     {"p.toml", "requires parameter 'target'"});
}

}  // namespace dataflex
