using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Image;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// Featurization throughput on the same images: Transfer's <see cref="Featurizer"/> (default options, no cache),
/// ML.NET's <c>LoadImages → ResizeImages → ExtractPixels → DnnFeaturizeImage(ResNet18)</c> read through a cursor,
/// and raw ONNX Runtime over Transfer's fused graph on pre-decoded pixels.
/// </summary>
internal static class FeaturizationBench
{
    public const int RawOrtThreads = 2;
    public static readonly int[] RawOrtBatches = [1, 8, 16];

    /// <summary>Runs Transfer's featurizer: one warm-up, then <paramref name="repetitions"/> timed runs.</summary>
    public static async Task<(Throughput Result, FeatureMatrix Features)> TransferAsync(ImageSet images, int repetitions)
    {
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        var last = await featurizer.FeaturizeAsync(images);
        var samples = new List<Sample>();
        for (int r = 0; r < repetitions; r++)
        {
            samples.Add(await Sample.TimeAsync(images.Count, async () => last = await featurizer.FeaturizeAsync(images)));
        }

        if (last.Computed != images.Count || last.Features.Count != images.Count)
        {
            throw new InvalidOperationException($"Transfer featurized {last.Features.Count} of {images.Count} images ({last.Computed} computed).");
        }

        return (new Throughput(samples), last.Features);
    }

    /// <summary>
    /// Runs ML.NET's ResNet18 featurizer end to end (decode, resize, pixels, ONNX) and reads every Features vector.
    /// The chain is fitted (ONNX session created) before timing, as Transfer's featurizer is constructed before timing.
    /// </summary>
    public static Throughput MlNet(IReadOnlyList<ImageEntry> images, int repetitions)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(images.Select(e => new PathRow { ImagePath = e.Path! }).ToList());
        var model = ml.Transforms.LoadImages("Image", null, nameof(PathRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", 224, 224, "Image", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
            .Fit(data);
        try
        {
            ReadAll(model.Transform(data), images.Count);
            var samples = new List<Sample>();
            for (int r = 0; r < repetitions; r++)
            {
                samples.Add(Sample.Time(images.Count, () => ReadAll(model.Transform(data), images.Count)));
            }

            return new Throughput(samples);
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// Runs ONNX Runtime alone on Transfer's fused graph (pixels → features) over pre-decoded pixels, for each batch
    /// size: the ceiling the featurizer's decode/inference overlap is measured against.
    /// </summary>
    public static (Dictionary<int, Throughput> ByBatch, int BestBatch) RawOrt(IReadOnlyList<ImageEntry> images, int repetitions)
    {
        var backbone = Backbones.Backbones.ResNet18;
        int pixelsPerImage = 4 * backbone.Width * backbone.Height;
        var pixels = Decode(images, backbone.Width, backbone.Height);
        using var session = CreateSession(backbone.BuildFeaturizerModel());
        var results = new Dictionary<int, Throughput>();
        foreach (int batch in RawOrtBatches)
        {
            var features = new float[batch * backbone.FeatureLength];
            int runs = images.Count / batch;
            void Pass(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    RunBatch(session, pixels.AsMemory(i * batch * pixelsPerImage, batch * pixelsPerImage), batch, features, backbone.Width, backbone.Height);
                }
            }

            Pass(Math.Min(runs, 2)); // warm-up: the first runs of a new shape allocate
            var samples = new List<Sample>();
            for (int r = 0; r < repetitions; r++)
            {
                samples.Add(Sample.Time(runs * batch, () => Pass(runs)));
            }

            results[batch] = new Throughput(samples);
        }

        int best = results.MaxBy(kv => kv.Value.MedianPerSecond).Key;
        return (results, best);
    }

    /// <summary>Times single-image runs of the fused graph: the inference floor of one prediction.</summary>
    public static List<double> RawOrtBatch1Latencies(ImageEntry image, int samples)
    {
        var backbone = Backbones.Backbones.ResNet18;
        var pixels = Decode([image], backbone.Width, backbone.Height);
        var features = new float[backbone.FeatureLength];
        using var session = CreateSession(backbone.BuildFeaturizerModel());
        for (int i = 0; i < 5; i++)
        {
            RunBatch(session, pixels, 1, features, backbone.Width, backbone.Height);
        }

        var times = new List<double>(samples);
        for (int i = 0; i < samples; i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            RunBatch(session, pixels, 1, features, backbone.Width, backbone.Height);
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return times;
    }

    public static JsonObject RawOrtJson(Dictionary<int, Throughput> byBatch, int best) => new()
    {
        ["intra_op_threads"] = RawOrtThreads,
        ["best_batch"] = best,
        ["images_per_s"] = Stats.Round(byBatch[best].MedianPerSecond),
        ["by_batch"] = new JsonObject(byBatch.Select(kv => KeyValuePair.Create($"{kv.Key}", (JsonNode?)kv.Value.ToJson()))),
    };

    private static InferenceSession CreateSession(byte[] model)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = RawOrtThreads,
        };
        return new InferenceSession(model, options);
    }

    private static void RunBatch(InferenceSession session, Memory<float> pixels, int batch, float[] features, int width, int height)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels, [batch, 4, height, width]);
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features.AsMemory(), [batch, features.Length / batch]);
        using var runOptions = new RunOptions();
        session.Run(runOptions, ["Pixels"], [input], ["Features"], [output]);
    }

    /// <summary>Decodes images into planar A,R,G,B floats as Transfer does (default preprocessing), outside any timing.</summary>
    private static float[] Decode(IReadOnlyList<ImageEntry> images, int width, int height)
    {
        int size = 4 * width * height;
        var pixels = new float[images.Count * size];
        Parallel.For(0, images.Count, i =>
            ImageDecoder.DecodeToPlanes(images[i].ReadBytes().Span, images[i].Name, width, height, ImagePreprocessing.Default, pixels.AsSpan(i * size, size)));
        return pixels;
    }

    private static void ReadAll(IDataView transformed, int expected)
    {
        var column = transformed.Schema["Features"];
        using var cursor = transformed.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        int rows = 0;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            rows++;
        }

        if (rows != expected || buffer.Length != 512)
        {
            throw new InvalidOperationException($"ML.NET featurized {rows} of {expected} rows (vector length {buffer.Length}).");
        }
    }

    public sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }
}
