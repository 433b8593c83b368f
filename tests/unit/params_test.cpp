// Parameters declared in a manifest, checked against what a run config gives.
#include <gtest/gtest.h>

#include "config/param_value.hpp"
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

ParamInput in(const std::string& name, ParamValue v) {
  return {name, std::move(v), "run.toml:9: dataflex.params." + name};
}

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
  auto out =
      resolve_params(specs(), {in("step_size", ParamValue::of_int(2)), in("target", ParamValue::of_float_list({}))},
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
      [] {
        resolve_params(specs(), {in("target", ParamValue::of_float_list({1, -1}))}, "plugin 'p'", "p.toml");
      },
      {"'target'[1] = -1.0 is below the minimum 0.0"});
}

TEST(Params, StringOutsideItsChoicesIsRefused) {
  test::expect_error(
      [] { resolve_params(specs(), {in("mode", ParamValue::of_string("hihg"))}, "plugin 'p'", "p.toml"); },
      {"'mode' = \"hihg\" is not one of: low, medium, high", "did you mean 'high'"});
}

TEST(Params, MissingRequiredParameterIsRefused) {
  test::expect_error([] { resolve_params(specs(), {}, "plugin 'p'", "p.toml"); },
                     {"p.toml", "requires parameter 'target'"});
}

TEST(Params, ExclusiveBoundsRefuseTheBoundItself) {
  ParamSpec t{"temperature", ParamType::Float, ParamValue::of_float(1.0), {}, {}, {}, "softmax temperature", 0.0, 1.0};
  test::expect_error(
      [&] { resolve_params({t}, {in("temperature", ParamValue::of_float(0.0))}, "plugin 'p'", "p.toml"); },
      {"run.toml:9", "'temperature' = 0.0 must be above 0.0"});
  test::expect_error([&] { resolve_params({t}, {in("temperature", ParamValue::of_int(1))}, "plugin 'p'", "p.toml"); },
                     {"'temperature' = 1.0 must be below 1.0"});
  EXPECT_DOUBLE_EQ(
      resolve_params({t}, {in("temperature", ParamValue::of_float(1e-9))}, "plugin 'p'", "p.toml")[0].value.float_value,
      1e-9);
}

TEST(Params, BoundsReadAsAPersonWritesThem) {
  // `plugins info` shows these: "> 0" for a parameter that refuses 0, integers as integers.
  EXPECT_EQ(describe_bounds(specs()[0]), ">= 1, <= 100");
  ParamSpec t{"temperature", ParamType::Float, ParamValue::of_float(1.0), {}, {}, {}, "", 0.0, std::nullopt};
  EXPECT_EQ(describe_bounds(t), "> 0.0");
  ParamSpec lr{"lr", ParamType::Float, ParamValue::of_float(1.0), 0.0005, {}, {}, ""};
  EXPECT_EQ(describe_bounds(lr), ">= 0.0005");
  EXPECT_EQ(describe_bounds(specs()[2]), "");
}

TEST(Params, FloatsPrintInTheirShortestExactForm) {
  // Not 0.00050000000000000001 (17 significant digits): the shortest text that reads back exactly.
  EXPECT_EQ(format_double(0.0005), "0.0005");
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(2.0), "2.0");
  EXPECT_EQ(format_double(-1.0), "-1.0");
  EXPECT_EQ(std::stod(format_double(1.0 / 3.0)), 1.0 / 3.0);
  EXPECT_EQ(ParamValue::of_float_list({0.25, 1e-8}).to_string(), "[0.25, 1e-08]");
}

}  // namespace dataflex
