// Times onnxruntime-node on an exported rd model (bench/onnx_bench.py runs it):
//   node onnx_time.js MODEL.onnx SIZE BATCH IMAGES THREADS
// Prints {"seconds": ..., "images": ...} for IMAGES images in batches of BATCH, after one
// warm-up batch; the inputs are made once, in memory (no decoding), as a deployment feeds it.
"use strict";
const ort = require("onnxruntime-node");

async function main() {
  const [file, size, batch, images, threads] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all",
  });
  const data = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < data.length; ++i) data[i] = Math.sin(i * 0.37) * 1.5;
  const feed = { image: new ort.Tensor("float32", data, [batch, 3, size, size]) };
  await session.run(feed);
  const start = process.hrtime.bigint();
  let done = 0;
  for (; done < images; done += batch) await session.run(feed);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ seconds, images: done }));
}

main().catch((e) => { console.error(`onnx_time.js: ${e.message}`); process.exit(1); });
