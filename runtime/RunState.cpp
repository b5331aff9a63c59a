//===- RunState.cpp - Where a training run stands, for --resume -----------===//

#include "runtime/RunState.h"

#include "runtime/Error.h"

#include <cstdio>
#include <cstdlib>

using namespace weft;

namespace {
int64_t metadataInt(const Metadata &meta, const std::string &key,
                    const std::string &path) {
  auto it = meta.find(key);
  char *end = nullptr;
  long long v = it == meta.end() ? 0 : std::strtoll(it->second.c_str(), &end, 10);
  if (it == meta.end() || end == it->second.c_str() || *end)
    fail("checkpoint '", path, "' lacks the training state '", key,
         "' that --resume needs; it was not written by 'train'");
  return v;
}
} // namespace

Metadata weft::checkpointMetadata(const TrainOptions &o, const RunState &s,
                                  const Dataset &train) {
  char best[64];
  std::snprintf(best, sizeof best, "%.17g", s.best);
  std::string classes;
  for (const std::string &name : train.classNames)
    classes += (classes.empty() ? "" : "\n") + name;
  return {{"weft.epoch", std::to_string(s.epoch)},
          {"weft.step", std::to_string(s.step)},
          {"weft.seed", std::to_string(o.seed)},
          {"weft.batch", std::to_string(o.batch)},
          {"weft.optimizer", o.hyper.optimizer},
          {"weft.train_examples", std::to_string(train.count)},
          {"weft.best", best},
          {"weft.best_epoch", std::to_string(s.bestEpoch)},
          {"weft.bad_epochs", std::to_string(s.badEpochs)},
          {"weft.classes", classes}};
}

RunState weft::resumeFrom(Model &model, const TrainOptions &o,
                          const Dataset &train) {
  const std::string &path = o.resumePath;
  Metadata meta = model.load(path, /*withOptimizerState=*/true);
  RunState s;
  s.epoch = metadataInt(meta, "weft.epoch", path);
  s.step = metadataInt(meta, "weft.step", path);
  s.bestEpoch = metadataInt(meta, "weft.best_epoch", path);
  s.badEpochs = metadataInt(meta, "weft.bad_epochs", path);
  s.best = std::strtod(meta["weft.best"].c_str(), nullptr);
  auto same = [&](const char *key, const std::string &now, const char *flag) {
    if (meta[key] != now)
      fail("checkpoint '", path, "' continues a run with ", flag, " ",
           meta[key], ", not ", now, "; resume with the same setting");
  };
  same("weft.seed", std::to_string(o.seed), "--seed");
  same("weft.batch", std::to_string(o.batch), "--batch");
  same("weft.optimizer", o.hyper.optimizer, "--optimizer");
  same("weft.train_examples", std::to_string(train.count),
       "a training set (after the validation split) of size");
  return s;
}

bool weft::improves(const EarlyStopping &e, const RunState &s, double value) {
  if (s.bestEpoch == 0)
    return true;
  return e.monitor == "val_accuracy" ? value > s.best + e.minDelta
                                     : value < s.best - e.minDelta;
}
