// rd-train's work: fit the bottleneck and decoder to restore the frozen teacher's features.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/image_decode.h"
#include "score/model_store.h"

namespace rd {

struct TrainOptions {
  std::string backbone = "wide_resnet50_2";
  Method method = Method::Rd4ad;        // rd++: projection, noise, four-term loss (train/rdpp_loss.h)
  bool method_given = false;            // --method was on the command line (checked against --resume)
  std::string weights = "auto";
  int image_size = 256;
  Tiling tiling;                        // enabled: train on the tiles of every image (image size = tile size)
  int epochs = 200;
  int batch_size = 16;
  double lr = 0.005, beta1 = 0.5, beta2 = 0.999;
  double proj_lr = 0.001;               // rd++: the projection's Adam group
  uint64_t seed = 0;
  std::string cache_features = "auto";  // auto | ram | off
  std::string output;                   // the model file
  std::string checkpoint;               // default: output + ".ckpt"
  int checkpoint_every = 0;             // epochs between checkpoints; 0: only when interrupted
  std::string resume;                   // checkpoint to continue from
  std::vector<std::string> val_images;  // normal images for score statistics
  std::string import_reference;         // reference-code checkpoint: import instead of training
  int64_t max_pixels = kDefaultMaxPixels;
  torch::Device device = torch::kCPU;
  Precision precision = Precision::Fp32;  // bf16: autocast convolutions, fp32 master weights
  bool offline = false;                 // --offline: weights come from the cache or a path only
  DownloadOptions download;             // timeouts for --weights auto|URL
};

struct EpochLog {
  int epoch = 0;  // 1-based
  double loss = 0, seconds = 0, images_per_second = 0;
  double tiles_per_second = 0;  // tiled models only
  // rd++: the epoch's mean of each loss term (kd, ssot, recon, con); empty for rd4ad.
  std::vector<std::pair<std::string, double>> terms;
};

struct TrainCallbacks {
  std::function<void(const EpochLog&)> on_epoch;
  // Steps done and total over the whole run (for a progress bar); `what` names the phase.
  std::function<void(int64_t done, int64_t total, const std::string& what)> on_progress;
  Warn warn;
  // One line before teacher weights are downloaded, then bytes received and total (-1: unknown).
  std::function<void(const std::string&)> note;
  std::function<void(int64_t received, int64_t total)> on_download;
  // Set by a signal handler: the current step finishes, a checkpoint is written, train returns.
  const std::atomic<int>* stop_signal = nullptr;
};

struct TrainResult {
  int interrupted_by = 0;  // the signal number when stopped early
  int epochs_done = 0;
  double final_loss = 0;
  size_t images = 0, failed_images = 0;
  size_t tiles = 0;  // tiled models: training inputs cut from the images
  std::string model_id, checkpoint_path;
};

// Trains (or imports) a model from normal images and writes it to options.output. Unreadable
// images are skipped with a warning and counted. Throws UsageError/FormatError/RuntimeFailure.
TrainResult train(const std::vector<std::string>& images, const TrainOptions& options,
                  const TrainCallbacks& callbacks);

}  // namespace rd
