#!/usr/bin/env node
// Export parity (docs/EXPORT.md, "Measured"): scores images with a model exported by `transfer export` in ONNX Runtime
// for Node.js, the images decoded by pure-JavaScript decoders (jpeg-js, pngjs; not the libjpeg-turbo and libpng that
// Transfer's SkiaSharp uses), and compares with what `transfer predict` said about the same files.
//
//   npm install onnxruntime-node jpeg-js pngjs                      (in the folder you run from)
//   transfer export model.zip --out model.onnx --json > export.json
//   transfer predict model.zip test/ --top 1000 --json > predict.json   (--top is clamped to the class count: all classes)
//   node scripts/export-parity.cjs model.onnx export.json predict.json
//
// Prints the images compared, the share whose label agrees, the largest probability difference, and the images whose
// difference exceeds 0.05; exits 1 when fewer than 98 % agree or any difference exceeds 0.05.
'use strict';
const fs = require('fs');
const req = require('module').createRequire(process.cwd() + '/');
const ort = req('onnxruntime-node');
const jpeg = req('jpeg-js');
const { PNG } = req('pngjs');

/** Decodes a PNG or JPEG file into an RGB uint8 tensor [1, H, W, 3] (alpha dropped: these images are opaque). */
function decodeRgb(path) {
  const bytes = fs.readFileSync(path);
  let image;
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    image = PNG.sync.read(bytes);
  } else {
    image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
  }
  const { width, height, data } = image;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 3, j += 4) {
    rgb[i] = data[j];
    rgb[i + 1] = data[j + 1];
    rgb[i + 2] = data[j + 2];
  }
  return new ort.Tensor('uint8', rgb, [1, height, width, 3]);
}

async function main() {
  const [onnxPath, exportJson, predictJson] = process.argv.slice(2);
  if (!predictJson) {
    console.error('usage: node scripts/export-parity.cjs model.onnx export.json predict.json');
    process.exit(2);
  }
  const classes = JSON.parse(fs.readFileSync(exportJson, 'utf8')).classes;
  const predictions = JSON.parse(fs.readFileSync(predictJson, 'utf8')).predictions;
  const session = await ort.InferenceSession.create(onnxPath);
  let agree = 0;
  let worst = 0;
  let worstImage = '';
  const over = [];
  const started = process.hrtime.bigint();
  for (const p of predictions) {
    const out = await session.run({ image: decodeRgb(p.image) });
    const probabilities = out.probabilities.data;
    const label = out.label.data[0];
    if (label === p.label) agree++;
    let imageWorst = 0;
    for (const t of p.top) {
      const d = Math.abs(probabilities[classes.indexOf(t.label)] - t.score);
      imageWorst = Math.max(imageWorst, d);
    }
    if (p.top.length !== classes.length) throw new Error(`${p.image}: predict listed ${p.top.length} of ${classes.length} classes; run it with --top ${classes.length}`);
    if (imageWorst > worst) { worst = imageWorst; worstImage = p.image; }
    if (imageWorst > 0.05) over.push(`${p.image} (${imageWorst.toExponential(2)}, export ${label}, predict ${p.label})`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const share = agree / predictions.length;
  console.log(`images ${predictions.length}, labels agree ${agree} (${(100 * share).toFixed(1)} %), largest probability difference ${worst.toExponential(2)} (${worstImage}), over 0.05: ${over.length}, ${(1000 * seconds / predictions.length).toFixed(1)} ms per image`);
  for (const line of over) console.log(`  over 0.05: ${line}`);
  process.exit(share >= 0.98 && over.length === 0 ? 0 : 1);
}

main().catch(e => { console.error(e); process.exit(1); });
