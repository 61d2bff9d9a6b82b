using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using SkiaSharp;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// JPEG photos end to end: Transfer's featurizer with the default scaled decoding and with full-size decoding, ML.NET, decoding
/// alone (both ways) and raw ONNX Runtime at batch 8 on pixels decoded before timing, interleaved in the same rounds.
/// </summary>
internal static class JpegBench
{
    /// <summary>The command that runs the JPEG measurement alone, with raw ORT on the PNGs as in the full run: <c>jpeg [--quick]</c>.</summary>
    public const string Command = "jpeg";

    /// <summary>
    /// The featurization section's raw ONNX Runtime figure (PNGs, batch 1/8/16, the best) and the JPEG photos' section,
    /// one after the other in one process, without ML.NET: prints the keys <c>raw_ort_images_per_s</c>,
    /// <c>jpeg_featurize_images_per_s</c>, <c>jpeg_decode_images_per_s</c>, <c>jpeg_featurize_vs_raw_ort</c> and the details as JSON.
    /// </summary>
    public static async Task<int> RunAsync(bool quick, string repoRoot)
    {
        var settings = quick ? BenchSettings.QuickRun : BenchSettings.Full;
        var notes = new List<string>();
        var data = BenchData.Create(settings.FeaturizeImages, settings.PhotoImages, repoRoot, notes);
        try
        {
            void Log(string message) => Console.Error.WriteLine(message);
            var raw = FeaturizationBench.RawOrt(data.PngSet(settings.FeaturizeImages).Entries);
            Dictionary<string, Throughput> png;
            try
            {
                png = await FeaturizationBench.InterleavedAsync(raw, settings.Repetitions, Log);
            }
            finally
            {
                raw.ForEach(c => c.Dispose());
            }

            double o = png.Values.Max(t => t.MedianPerSecond);
            var jpeg = await MeasureAsync(data.Photos, settings.Repetitions, withMlNet: false, Log);
            double photos = jpeg["transfer"]!["images_per_s"]!.GetValue<double>();
            var result = new JsonObject
            {
                ["raw_ort_images_per_s"] = Stats.Round(o),
                ["jpeg_featurize_images_per_s"] = Stats.Round(photos),
                ["jpeg_decode_images_per_s"] = jpeg["decode"]!["images_per_s"]!.DeepClone(),
                ["jpeg_featurize_vs_raw_ort"] = Stats.Round(photos / o, 3),
                ["jpeg_640x480"] = jpeg,
            };
            Console.WriteLine(result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        finally
        {
            data.Delete();
        }
    }

    private static readonly ImagePreprocessing Full = ImagePreprocessing.Default with { ScaledDecode = false };

    /// <summary>Measures the photos; returns the details object (the first keys are the ones the run had before scaled decoding).</summary>
    public static async Task<JsonObject> MeasureAsync(IReadOnlyList<ImageEntry> photos, int repetitions, bool withMlNet, Action<string> log)
    {
        var set = ImageSet.FromEntries(photos, BenchData.ClassNames);
        var contenders = new List<FeaturizationBench.Contender>();
        try
        {
            contenders.Add(FeaturizationBench.Transfer(set));
            contenders.Add(FeaturizationBench.Transfer(set, new FeaturizerOptions { Preprocessing = Full }, "transfer_full_decode"));
            if (withMlNet)
            {
                contenders.Add(FeaturizationBench.MlNet(photos));
            }

            contenders.Add(DecodeOnly(photos, ImagePreprocessing.Default, "decode"));
            contenders.Add(DecodeOnly(photos, Full, "decode_full"));
            contenders.AddRange(FeaturizationBench.RawOrt(photos, [8]));
            var t = await FeaturizationBench.InterleavedAsync(contenders, repetitions, log);
            double raw = t["raw_ort_b8"].MedianPerSecond, transfer = t["transfer"].MedianPerSecond, full = t["transfer_full_decode"].MedianPerSecond;
            var json = new JsonObject { ["transfer"] = t["transfer"].ToJson() };
            if (withMlNet)
            {
                json["mlnet"] = t["mlnet"].ToJson();
                json["transfer_vs_mlnet"] = Stats.Round(transfer / t["mlnet"].MedianPerSecond, 3);
            }

            json["transfer_full_decode"] = t["transfer_full_decode"].ToJson();
            json["decode"] = With(t["decode"].ToJson(), "ImageDecoder.DecodeToPlanes to 224×224, ImagePreprocessing.Default (scaled decoding), one image per core at a time");
            json["decode_full"] = With(t["decode_full"].ToJson(), "the same at full size (ScaledDecode = false)");
            json["raw_ort_b8_same_rounds"] = t["raw_ort_b8"].ToJson();
            json["transfer_vs_raw_ort_same_rounds"] = Stats.Round(transfer / raw, 3);
            json["transfer_full_decode_vs_raw_ort_same_rounds"] = Stats.Round(full / raw, 3);
            json["scaled_vs_full_decode_featurize"] = Stats.Round(transfer / full, 3);
            json["scaled_vs_full_decode_alone"] = Stats.Round(t["decode"].MedianPerSecond / t["decode_full"].MedianPerSecond, 3);
            return json;
        }
        finally
        {
            contenders.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Writes phone-size photos (e.g. 3000×2000): each source image enlarged, with seeded colour noise, quality 90.</summary>
    public static List<ImageEntry> WritePhones(string root, IReadOnlyList<ImageEntry> sources, int count, int width, int height)
    {
        var entries = new ImageEntry[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var source = sources[i % sources.Count];
            string folder = Path.Combine(root, $"phone-{width}x{height}", source.Label);
            Directory.CreateDirectory(folder);
            using var small = SKBitmap.Decode(source.ReadBytes().ToArray());
            using var big = small.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), new SKSamplingOptions(SKCubicResampler.Mitchell));
            var pixels = new int[width * height];
            Marshal.Copy(big.GetPixels(), pixels, 0, pixels.Length);
            var random = new Random(i);
            for (int p = 0; p < pixels.Length; p++)
            {
                int noise = random.Next(-10, 11);
                uint v = (uint)pixels[p];
                uint r = (uint)Math.Clamp((int)(v & 0xFF) + noise, 0, 255), g = (uint)Math.Clamp((int)((v >> 8) & 0xFF) + 10 + noise, 0, 255), b = (uint)Math.Clamp((int)((v >> 16) & 0xFF) + 25 - noise, 0, 255);
                pixels[p] = (int)(r | (g << 8) | (b << 16) | 0xFF000000u);
            }

            Marshal.Copy(pixels, 0, big.GetPixels(), pixels.Length);
            string path = Path.Combine(folder, $"phone-{i:D4}.jpg");
            using (var data = big.Encode(SKEncodedImageFormat.Jpeg, 90))
            using (var file = File.Create(path))
            {
                data.SaveTo(file);
            }

            entries[i] = ImageEntry.FromFile(path, source.Label);
        });
        return [.. entries];
    }

    /// <summary>Decoding alone, as the featurizer's decode threads do it (one image per core at a time), into reused buffers.</summary>
    private static FeaturizationBench.Contender DecodeOnly(IReadOnlyList<ImageEntry> images, ImagePreprocessing preprocessing, string name)
    {
        const int side = 224;
        var buffers = new System.Collections.Concurrent.ConcurrentBag<float[]>();
        return new FeaturizationBench.Contender(name, images.Count, null)
        {
            RunOnce = () =>
            {
                Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                {
                    var buffer = buffers.TryTake(out var b) ? b : new float[4 * side * side];
                    ImageDecoder.DecodeToPlanes(images[i].ReadBytes().Span, images[i].Name, side, side, preprocessing, buffer);
                    buffers.Add(buffer);
                });
                return Task.CompletedTask;
            },
        };
    }

    private static JsonObject With(JsonObject json, string what)
    {
        json["what"] = what;
        return json;
    }
}
