// Runs an ONNX file with onnxruntime-node (tests only): node onnx_run.js MODEL.onnx INPUTS.npy OUT_DIR [BATCH]
// INPUTS.npy holds float32 [N,3,S,S]; each output is written to OUT_DIR/<name>.npy, batches
// concatenated along the first axis. Prints the input and output names as one JSON line.
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString("latin1", 1, 6) !== "NUMPY") throw new Error(`${file}: not an .npy file`);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString("latin1", 10, 10 + headerLen);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(`${file}: want C-order <f4`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(",").filter((s) => s.trim()).map(Number);
  const start = 10 + headerLen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return { shape, data };
}

function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  while ((10 + header.length + 1) % 64) header += " ";
  header += "\n";
  const pre = Buffer.alloc(10);
  pre.write("\x93NUMPY", 0, "latin1");
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function main() {
  const [modelFile, inputFile, outDir, batchArg] = process.argv.slice(2);
  const input = readNpy(inputFile);
  const [n, ...rest] = input.shape;
  const per = rest.reduce((a, b) => a * b, 1);
  const batch = Number(batchArg || n);
  const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const results = {};
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    const feed = { [session.inputNames[0]]: new ort.Tensor("float32", input.data.slice(i * per, (i + m) * per), [m, ...rest]) };
    const out = await session.run(feed);
    for (const name of session.outputNames) (results[name] = results[name] || []).push(out[name]);
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, parts] of Object.entries(results)) {
    const total = parts.reduce((a, t) => a + t.data.length, 0);
    const all = new Float32Array(total);
    let at = 0;
    for (const t of parts) { all.set(t.data, at); at += t.data.length; }
    const dims = parts[0].dims.slice();
    dims[0] = parts.reduce((a, t) => a + t.dims[0], 0);
    writeNpy(path.join(outDir, `${name}.npy`), dims, all);
  }
  console.log(JSON.stringify({ inputs: session.inputNames, outputs: session.outputNames }));
}

main().catch((e) => { console.error(`onnx_run.js: ${e.message}`); process.exit(1); });
