#!/usr/bin/env bash
# Installs what DataFlex needs to build and test on Debian 12 (bookworm), from Debian's archive only.
# Run as root (or with sudo available). Safe to run again: only missing packages are installed.
#   libtorch-dev          LibTorch (CPU build)
#   libopenblas0-pthread  without it LibTorch calls the reference BLAS: ~30x slower matmul
#   libboost-dev          Boost.DLL, plugin loading
#   libtomlplusplus-dev   configs and manifests
#   nlohmann-json3-dev    Hugging Face / LLaMA-Factory JSON files, recorded hosts
#   libcli11-dev          dataflex-run's command line
#   libpcre2-dev          the tokenizers' Unicode regex pre-tokenizers (\p{L}, lookahead)
#   libutf8proc-dev       NFC normalisation (Qwen tokenizers)
#   libxxhash-dev         cache keys of host-service results (XXH3)
#   libyaml-cpp-dev       LLaMA-Factory / original DataFlex YAML run configs
#   nettle-dev            SHA-256 of plugin libraries (provenance, manifest pins)
#   libcairo2-dev         plot_loss: LLaMA-Factory's training_loss.png / training_eval_loss.png
#   libprotobuf-dev, protobuf-compiler  report_to = "tensorboard": TensorBoard's event messages
#   chromium-headless-shell  tests only: report.html rendered in a real browser
#   python3-torch         tests only: the independent Hugging Face reference of the model; bench/
#   clang-format          tests only: the formatting check (.clang-format)
#   clang, libclang-rt-14-dev  tests only: the libFuzzer targets (tests/fuzz), with ASan + UBSan
#   libgloo-dev           the Gloo headers c10d's ProcessGroupGloo needs (distributed training on CPU)
#   libfaiss-dev          k-means of the cluster_less plugin (without it that plugin is not built)
#   dpkg-dev, file        packaging/build-debs.sh: CPack's DEB generator (dpkg-shlibdeps computes Depends)
set -euo pipefail
packages=(cmake ninja-build g++ make pkg-config binutils python3
          libtorch-dev libopenblas0-pthread libboost-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
          nlohmann-json3-dev libyaml-cpp-dev libcairo2-dev libprotobuf-dev protobuf-compiler libcli11-dev libgtest-dev libpcre2-dev libutf8proc-dev libxxhash-dev nettle-dev
          python3-torch python3-numpy clang-format clang libclang-rt-14-dev libfaiss-dev libgloo-dev
          dpkg-dev file chromium-headless-shell)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
