// Hugging Face and PEFT folder layouts for LlamaModel.
#include <ATen/ATen.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "model/llama_model.hpp"
#include "model/safetensors.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

namespace {

at::ScalarType to_scalar_type(DType d, const std::string& where) {
  switch (d) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F64: return at::kDouble;
    default:
      throw Error(where + ": dtype " + std::string(to_string(d)) + ": expected F32, F16, BF16 or F64 for weights");
  }
}

at::Tensor to_tensor(const TensorView& v, const std::string& where) {
  // from_blob does not own the mapped bytes; the clone below copies them out before the file closes.
  at::Tensor t = at::from_blob(const_cast<uint8_t*>(v.data), v.shape,
                               to_scalar_type(v.dtype, where + ": tensor '" + v.name + "'"));
  return t.to(at::kFloat).clone();
}

DType dtype_from_name(const std::string& name) {
  if (name == "float32") return DType::F32;
  if (name == "bfloat16") return DType::BF16;
  if (name == "float16") return DType::F16;
  throw Error("save dtype: expected float32, bfloat16 or float16, found \"" + name + "\"");
}

// The shards of DIR: model.safetensors, or the files named by model.safetensors.index.json.
std::vector<std::string> weight_files(const std::string& dir) {
  const fs::path single = fs::path(dir) / "model.safetensors";
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(single)) return {single.string()};
  if (!fs::exists(index))
    throw Error(dir + ": no model.safetensors or model.safetensors.index.json (only the safetensors format is read)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(index.string()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(index.string() + ": not valid JSON: " + one_line(e.what()));
  }
  if (!j.contains("weight_map") || !j["weight_map"].is_object())
    throw Error(index.string() + ": weight_map: expected an object {tensor name: shard file}");
  std::set<std::string> files;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string()) throw Error(index.string() + ": weight_map." + it.key() + ": expected a file name");
    const std::string f = it.value().get<std::string>();
    if (f.find('/') != std::string::npos || f == "..")
      throw Error(index.string() + ": weight_map." + it.key() + ": shard \"" + f +
                  "\" must be a file in the same folder");
    files.insert((fs::path(dir) / f).string());
  }
  return {files.begin(), files.end()};
}

}  // namespace

std::unique_ptr<LlamaModel> load_model(const std::string& name_or_path, int64_t builtin_vocab_size, uint64_t seed,
                                       const std::string& device) {
  if (name_or_path == "builtin:tiny") {
    ModelConfig c = ModelConfig::builtin_tiny(builtin_vocab_size);
    return std::make_unique<LlamaModel>(c, seed, device);
  }
  if (name_or_path.rfind("builtin:", 0) == 0)
    throw Error("model_name_or_path: unknown built-in model \"" + name_or_path + "\", expected builtin:tiny");
  const std::string dir = name_or_path;
  if (!fs::is_directory(dir))
    throw Error("model_name_or_path: \"" + dir + "\" is not a folder (nothing is downloaded here)");
  return load_model_folder(dir, ModelConfig::load((fs::path(dir) / "config.json").string()), seed, device, {});
}

std::unique_ptr<LlamaModel> load_model_folder(const std::string& dir, const ModelConfig& c, uint64_t seed,
                                              const std::string& device, const ExtraTensor& extra) {
  auto model = std::make_unique<LlamaModel>(c, seed, device);
  std::set<std::string> missing;
  for (const auto& p : model->parameters()) missing.insert(p.name);
  for (const auto& file : weight_files(dir)) {
    auto st = SafetensorsFile::open(file);
    for (const auto& v : st->tensors()) {
      if (v.name.find("rotary_emb.inv_freq") != std::string::npos) continue;  // older checkpoints store it
      if (c.tie_word_embeddings && v.name == "lm_head.weight") continue;      // some tied checkpoints still do
      if (!model->has_parameter(v.name)) {
        if (extra && extra(v.name, to_tensor(v, file))) continue;
        throw Error(file + ": tensor '" + v.name + "' is not a parameter of a " + c.model_type +
                    " model with this config.json");
      }
      model->assign(v.name, to_tensor(v, file).to(model->device()), file);
      missing.erase(v.name);
    }
  }
  if (!missing.empty())
    throw Error(dir + ": checkpoint lacks tensor '" + *missing.begin() + "' (" + std::to_string(missing.size()) +
                " missing)");
  return model;
}

namespace {

// Tensors converted to `dtype`, kept alive while written.
struct HostTensors {
  std::vector<at::Tensor> keep;
  std::vector<TensorToWrite> items;
  void add(const std::string& name, const at::Tensor& t, DType dtype) {
    at::ScalarType st = dtype == DType::F32 ? at::kFloat : dtype == DType::BF16 ? at::kBFloat16 : at::kHalf;
    at::Tensor c = t.detach().to(at::kCPU).to(st).contiguous();
    keep.push_back(c);
    items.push_back({name, dtype, c.sizes().vec(), c.data_ptr(), static_cast<std::size_t>(c.nbytes())});
  }
};

}  // namespace

void save_model(const LlamaModel& model, const std::string& dir, const std::string& dtype_name) {
  const DType dtype = dtype_from_name(dtype_name);
  if (model.has_lora()) throw Error("save_model: merge or save the LoRA adapters first");
  fs::create_directories(dir);
  HostTensors t;
  for (const auto& p : model.parameters()) t.add(p.name, p.tensor, dtype);
  write_safetensors((fs::path(dir) / "model.safetensors").string(), t.items, {{"format", "pt"}});
  ModelConfig c = model.config();
  c.torch_dtype = dtype_name;
  write_file_atomically((fs::path(dir) / "config.json").string(), c.to_json());
}

void save_lora_adapter(const LlamaModel& model, const std::string& dir, const std::string& base_model) {
  const LoraConfig& lora = model.lora();
  fs::create_directories(dir);
  HostTensors t;
  for (const auto& p : model.parameters())
    if (p.name.find(".lora_") != std::string::npos) t.add("base_model.model." + p.name, p.tensor, DType::F32);
  write_safetensors((fs::path(dir) / "adapter_model.safetensors").string(), t.items, {{"format", "pt"}});
  nlohmann::ordered_json j;
  j["peft_type"] = "LORA";
  j["task_type"] = "CAUSAL_LM";
  j["base_model_name_or_path"] = base_model;
  j["r"] = lora.rank;
  j["lora_alpha"] = lora.alpha;
  j["lora_dropout"] = lora.dropout;
  j["target_modules"] = lora.target;
  j["bias"] = "none";
  j["fan_in_fan_out"] = false;
  j["inference_mode"] = true;
  j["modules_to_save"] = nullptr;
  j["use_rslora"] = false;
  write_file_atomically((fs::path(dir) / "adapter_config.json").string(), j.dump(2) + "\n");
}

void load_lora_adapter(LlamaModel& model, const std::string& dir, uint64_t seed) {
  const std::string cfg_path = (fs::path(dir) / "adapter_config.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(cfg_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(cfg_path + ": not valid JSON: " + one_line(e.what()));
  }
  if (j.value("peft_type", std::string()) != "LORA") throw Error(cfg_path + ": peft_type: expected \"LORA\"");
  if (j.value("use_rslora", false)) throw Error(cfg_path + ": use_rslora: rank-stabilised LoRA is not supported");
  LoraConfig lora;
  if (!j.contains("r") || !j["r"].is_number_integer()) throw Error(cfg_path + ": r: expected an integer");
  lora.rank = j["r"];
  lora.alpha = j.value("lora_alpha", 8.0);
  lora.dropout = j.value("lora_dropout", 0.0);
  if (!j.contains("target_modules") || !j["target_modules"].is_array())
    throw Error(cfg_path + ": target_modules: expected a list of module names");
  for (const auto& t : j["target_modules"]) {
    if (!t.is_string()) throw Error(cfg_path + ": target_modules: expected module names");
    lora.target.push_back(t.get<std::string>());
  }
  for (const char* key : {"rank_pattern", "alpha_pattern", "layers_to_transform"})
    if (j.contains(key) && !j[key].is_null() && !j[key].empty())
      throw Error(cfg_path + ": " + key + ": per-layer LoRA settings are not supported");
  model.add_lora(lora, seed);
  const std::string file = (fs::path(dir) / "adapter_model.safetensors").string();
  auto st = SafetensorsFile::open(file);
  std::set<std::string> missing;
  for (const auto& p : model.parameters())
    if (p.name.find(".lora_") != std::string::npos) missing.insert(p.name);
  for (const auto& v : st->tensors()) {
    std::string name = v.name;
    const std::string prefix = "base_model.model.";
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
    // PEFT writes "...q_proj.lora_A.weight"; some versions add the adapter name ("lora_A.default.weight").
    const auto d = name.find(".default.weight");
    if (d != std::string::npos) name = name.substr(0, d) + ".weight";
    if (!model.has_parameter(name))
      throw Error(file + ": tensor '" + v.name + "' matches no LoRA adapter of the model");
    model.assign(name, to_tensor(v, file).to(model.device()), file);
    missing.erase(name);
  }
  if (!missing.empty())
    throw Error(file + ": lacks adapter tensor '" + *missing.begin() + "' (" + std::to_string(missing.size()) +
                " missing; adapter_config.json's target_modules name more modules than the file holds)");
}

}  // namespace dataflex
