//===- CommandLine.cpp - The command line of compiled models --------------===//
//
// Defaults come from the model file's `train` block (compiled into
// weft_model.train); every flag overrides one of them.
//
//===----------------------------------------------------------------------===//

#include "runtime/CommandLine.h"

#include "runtime/Error.h"
#include "runtime/Model.h"
#include "runtime/Predict.h"
#include "runtime/Threads.h"
#include "runtime/Trainer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

using namespace weft;

namespace {

const char *kUsage =
    "usage: %s <command> [options]\n"
    "\n"
    "commands:\n"
    "  train      train the model (defaults: the model file's train block)\n"
    "  eval       evaluate saved weights on the test split\n"
    "  gradcheck  compare compiled gradients with finite differences\n"
    "  predict    classify images (PNG, JPEG) or IDX entries (FILE, FILE:K, "
    "FILE:A-B)\n"
    "  bench      time training steps on batches held in memory\n"
    "\n"
    "every command:\n"
    "  --threads N           threads for the compiled kernels (default:\n"
    "                        OMP_NUM_THREADS if set, else every core)\n"
    "  --device cpu|cuda     where the model runs (cuda: an NVIDIA GPU; the\n"
    "                        model must be built with weftc --target=cuda)\n"
    "\n"
    "train options:\n"
    "  --data DIR            data folder (default: %s)\n"
    "  --epochs N            passes over the training set (default: %lld)\n"
    "  --batch N             examples per step (default: %lld)\n"
    "  --lr X                learning rate (default: %g)\n"
    "  --optimizer NAME      sgd, adam or adamw (default: %s)\n"
    "  --momentum X          SGD momentum (default: %g)\n"
    "  --weight-decay X      L2 penalty (AdamW: decoupled decay) (default: %g)\n"
    "  --nesterov            Nesterov momentum for SGD\n"
    "  --clip-norm X         clip gradients to global L2 norm X (0: off)\n"
    "  --schedule NAME       constant, step, cosine or linear learning rate\n"
    "  --seed N              initialisation and shuffling seed (default: %lld)\n"
    "  --steps N             stop after N optimizer steps\n"
    "  --no-shuffle          visit the examples in file order\n"
    "  --validation X        hold out this fraction of the training data\n"
    "  --patience N          stop after N epochs without improvement (0: off)\n"
    "  --monitor NAME        what early stopping watches: val_loss or "
    "val_accuracy\n"
    "  --min-delta X         the least change early stopping counts\n"
    "  --bad-images MODE     unreadable images: stop (default) or skip\n"
    "  --init W.safetensors  start from these weights\n"
    "  --resume CKPT         continue the run saved in CKPT up to --epochs\n"
    "  --save W.safetensors  checkpoint after every epoch (default: %s)\n"
    "  --log FILE.jsonl      one JSON object per epoch, then the test report\n"
    "\n"
    "eval options:\n"
    "  --weights W.safetensors (required), --data DIR, --batch N, "
    "--bad-images MODE\n"
    "\n"
    "predict options:\n"
    "  --weights W.safetensors (required), then the files to classify\n"
    "\n"
    "gradcheck options:\n"
    "  --data DIR, --batch N, --seed N, --weights W.safetensors (or --init),\n"
    "  --samples N\n"
    "\n"
    "bench options:\n"
    "  --data DIR, --batch N, --seed N, --steps N (default 200),\n"
    "  --warmup N (default 20)\n";

/// The executable's own name, for the default checkpoint name.
std::string programName(const char *argv0) {
  const char *slash = std::strrchr(argv0, '/');
  return slash ? slash + 1 : argv0;
}

int64_t parseInt(const std::string &flag, const char *text) {
  char *end;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno || end == text || *end)
    fail("option ", flag, " expects an integer, got '", text, "'");
  return v;
}

double parseReal(const std::string &flag, const char *text) {
  char *end;
  errno = 0;
  double v = std::strtod(text, &end);
  if (errno || end == text || *end)
    fail("option ", flag, " expects a number, got '", text, "'");
  return v;
}

/// Flags of one command: each takes a value unless it is a switch.
class FlagParser {
public:
  void value(const std::string &name, std::function<void(const char *)> set) {
    values[name] = std::move(set);
  }
  void toggle(const std::string &name, std::function<void()> set) {
    toggles[name] = std::move(set);
  }
  /// Arguments that are not flags go here; without it they are errors.
  void positional(std::function<void(const char *)> take) {
    positionals = std::move(take);
  }
  void parse(const std::string &command, int argc, char **argv) {
    for (int i = 2; i < argc; ++i) {
      std::string flag = argv[i];
      if (auto t = toggles.find(flag); t != toggles.end()) {
        t->second();
      } else if (auto v = values.find(flag); v != values.end()) {
        if (i + 1 >= argc)
          fail("option ", flag, " needs a value");
        v->second(argv[++i]);
      } else if (positionals && (flag.empty() || flag[0] != '-')) {
        positionals(argv[i]);
      } else {
        std::string accepted;
        for (auto &entry : values)
          accepted += " " + entry.first;
        for (auto &entry : toggles)
          accepted += " " + entry.first;
        fail("unknown option '", flag, "' for '", command, "'; accepted:",
             accepted);
      }
    }
  }

private:
  std::map<std::string, std::function<void(const char *)>> values;
  std::map<std::string, std::function<void()>> toggles;
  std::function<void(const char *)> positionals;
};

TrainOptions defaultsOf(const weft_model_info &model, const char *argv0) {
  const weft_train_defaults &d = model.train;
  TrainOptions o;
  o.data.format = d.data_format;
  o.data.path = d.data_path;
  o.data.rescale = float(d.rescale);
  o.data.augment = {d.rotation, d.shear, d.zoom,
                    !std::strcmp(d.flip, "horizontal") || !std::strcmp(d.flip, "both"),
                    !std::strcmp(d.flip, "vertical") || !std::strcmp(d.flip, "both")};
  o.validation = d.validation;
  o.earlyStopping = {d.monitor, d.patience, d.min_delta};
  o.epochs = d.epochs;
  o.batch = d.batch;
  o.seed = d.seed;
  o.hyper = defaultHyperparameters(d);
  o.schedule = {d.schedule, d.schedule_every, d.gamma, d.min_lr, d.warmup};
  o.savePath = programName(argv0) + ".safetensors";
  return o;
}

int run(const weft_model_info &info, int argc, char **argv) {
  TrainOptions o = defaultsOf(info, argv[0]);
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    std::printf(kUsage, argv[0], o.data.path.c_str(), (long long)o.epochs,
                (long long)o.batch, o.hyper.lr, o.hyper.optimizer.c_str(),
                o.hyper.momentum, o.hyper.weightDecay, (long long)o.seed,
                o.savePath.c_str());
    return argc < 2 ? 1 : 0;
  }
  std::string command = argv[1];
  std::string weights;
  int64_t samples = 8;
  FlagParser flags;
  flags.value("--data", [&](const char *v) { o.data.path = v; });
  flags.value("--batch", [&](const char *v) { o.batch = parseInt("--batch", v); });
  flags.value("--threads",
              [&](const char *v) { setThreadCount(parseInt("--threads", v)); });
  Device device = Device::Cpu;
  flags.value("--device", [&](const char *v) { device = parseDevice(v); });
  auto onlyFor = [&](std::initializer_list<const char *> commands) {
    for (const char *c : commands)
      if (command == c)
        return true;
    return false;
  };
  if (onlyFor({"train", "eval", "gradcheck"}))
    flags.value("--bad-images", [&](const char *v) {
      if (std::strcmp(v, "skip") && std::strcmp(v, "stop"))
        fail("option --bad-images expects skip or stop, got '", v, "'");
      o.data.skipBadImages = !std::strcmp(v, "skip");
    });
  if (onlyFor({"train", "gradcheck", "bench"})) {
    flags.value("--seed", [&](const char *v) { o.seed = parseInt("--seed", v); });
    flags.value("--init", [&](const char *v) { o.initPath = v; });
  }
  if (command == "train") {
    flags.value("--epochs", [&](const char *v) { o.epochs = parseInt("--epochs", v); });
    flags.value("--lr", [&](const char *v) { o.hyper.lr = parseReal("--lr", v); });
    flags.value("--momentum",
                [&](const char *v) { o.hyper.momentum = parseReal("--momentum", v); });
    flags.value("--weight-decay", [&](const char *v) {
      o.hyper.weightDecay = parseReal("--weight-decay", v);
    });
    flags.value("--optimizer", [&](const char *v) {
      if (std::strcmp(v, "sgd") && std::strcmp(v, "adam") && std::strcmp(v, "adamw"))
        fail("option --optimizer expects sgd, adam or adamw, got '", v, "'");
      o.hyper.optimizer = v;
    });
    flags.value("--steps", [&](const char *v) { o.steps = parseInt("--steps", v); });
    flags.value("--save", [&](const char *v) { o.savePath = v; });
    flags.value("--resume", [&](const char *v) { o.resumePath = v; });
    flags.value("--validation", [&](const char *v) {
      o.validation = parseReal("--validation", v);
      if (!(o.validation >= 0 && o.validation < 1))
        fail("option --validation expects a fraction in [0, 1), got '", v, "'");
    });
    flags.value("--patience", [&](const char *v) {
      o.earlyStopping.patience = parseInt("--patience", v);
      if (o.earlyStopping.patience < 0)
        fail("option --patience expects a count of epochs, got '", v, "'");
    });
    flags.value("--monitor", [&](const char *v) {
      if (std::strcmp(v, "val_loss") && std::strcmp(v, "val_accuracy"))
        fail("option --monitor expects val_loss or val_accuracy, got '", v, "'");
      o.earlyStopping.monitor = v;
    });
    flags.value("--min-delta", [&](const char *v) {
      o.earlyStopping.minDelta = parseReal("--min-delta", v);
    });
    flags.value("--log", [&](const char *v) { o.logPath = v; });
    flags.toggle("--no-shuffle", [&] { o.shuffle = false; });
    flags.toggle("--nesterov", [&] { o.hyper.nesterov = true; });
    flags.value("--clip-norm", [&](const char *v) {
      o.hyper.clipNorm = parseReal("--clip-norm", v);
    });
    flags.value("--schedule", [&](const char *v) {
      // Checked here, not at the first step after the data has loaded.
      if (std::strcmp(v, "constant") && std::strcmp(v, "step") &&
          std::strcmp(v, "cosine") && std::strcmp(v, "linear"))
        fail("option --schedule expects constant, step, cosine or linear, "
             "got '", v, "'");
      o.schedule.kind = v;
    });
    flags.parse(command, argc, argv);
    if (!o.resumePath.empty() && !o.initPath.empty())
      fail("--resume continues a run and --init starts one; pass one of them");
    Model model(info, device);
    return train(model, o);
  }
  if (command == "eval") {
    flags.value("--weights", [&](const char *v) { weights = v; });
    flags.parse(command, argc, argv);
    if (weights.empty())
      fail("eval needs --weights W.safetensors");
    Model model(info, device);
    return evaluate(model, o.data, weights, o.batch);
  }
  if (command == "gradcheck") {
    // The spelling; --init (shared with train) means the same.
    flags.value("--weights", [&](const char *v) { o.initPath = v; });
    flags.value("--samples",
                [&](const char *v) { samples = parseInt("--samples", v); });
    flags.parse(command, argc, argv);
    Model model(info, device);
    return gradcheck(model, o, samples);
  }
  if (command == "bench") {
    int64_t warmup = 20, steps = 200;
    flags.value("--steps", [&](const char *v) { steps = parseInt("--steps", v); });
    flags.value("--warmup",
                [&](const char *v) { warmup = parseInt("--warmup", v); });
    flags.parse(command, argc, argv);
    Model model(info, device);
    return bench(model, o, warmup, steps);
  }
  if (command == "predict") {
    std::vector<std::string> files;
    flags.value("--weights", [&](const char *v) { weights = v; });
    flags.positional([&](const char *v) { files.push_back(v); });
    flags.parse(command, argc, argv);
    if (weights.empty())
      fail("predict needs --weights W.safetensors");
    Model model(info, device);
    return predict(model, weights, files, o.data);
  }
  fail("unknown command '", command, "'; expected train, eval, gradcheck, "
       "predict or bench (see --help)");
}

} // namespace

int weft::runCommandLine(const weft_model_info &model, int argc, char **argv) {
  try {
    return run(model, argc, argv);
  } catch (const Error &e) {
    std::fprintf(stderr, "%s: error: %s\n", programName(argv[0]).c_str(), e.what());
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "%s: error: out of memory\n", programName(argv[0]).c_str());
  }
  return 1;
}
