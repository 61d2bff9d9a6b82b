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

    /// <summary>
    /// Measures contenders on the same images: one warm-up pass each, then <paramref name="repetitions"/> rounds in which
    /// every contender runs once, in turn, so that load from other processes on a shared machine falls on all of them alike.
    /// </summary>
    public static async Task<Dictionary<string, Throughput>> InterleavedAsync(IReadOnlyList<Contender> contenders, int repetitions, Action<string>? log = null)
    {
        var samples = contenders.ToDictionary(c => c.Name, _ => new List<Sample>());
        foreach (var c in contenders)
        {
            var warm = await Sample.TimeAsync(c.Items, c.RunOnce);
            log?.Invoke($"  warm-up {c.Name}: {warm.PerSecond:F1} images/s");
        }

        for (int r = 0; r < repetitions; r++)
        {
            foreach (var c in contenders)
            {
                samples[c.Name].Add(await Sample.TimeAsync(c.Items, c.RunOnce));
            }

            log?.Invoke($"  round {r + 1}/{repetitions}: {string.Join(", ", contenders.Select(c => $"{c.Name} {samples[c.Name][^1].PerSecond:F1}"))} images/s");
        }

        return samples.ToDictionary(kv => kv.Key, kv => new Throughput(kv.Value));
    }

    /// <summary>Transfer's featurizer, default options, no cache; constructed (ONNX session created) before timing.</summary>
    public static Contender Transfer(ImageSet images, FeaturizerOptions? options = null, string name = "transfer")
    {
        var featurizer = new Featurizer(Backbones.Backbones.ResNet18, options);
        var contender = new Contender(name, images.Count, featurizer);
        contender.RunOnce = async () =>
        {
            var result = await featurizer.FeaturizeAsync(images);
            if (result.Computed != images.Count || result.Features.Count != images.Count)
            {
                throw new InvalidOperationException($"Transfer featurized {result.Features.Count} of {images.Count} images ({result.Computed} computed).");
            }

            contender.LastFeatures = result.Features;
        };
        return contender;
    }

    /// <summary>
    /// ML.NET's ResNet18 featurizer end to end (decode, resize, pixels, ONNX), every Features vector read through a
    /// cursor. The chain is fitted (its ONNX session created) before timing, as Transfer's featurizer is.
    /// </summary>
    public static Contender MlNet(IReadOnlyList<ImageEntry> images)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(images.Select(e => new PathRow { ImagePath = e.Path! }).ToList());
        var model = ml.Transforms.LoadImages("Image", null, nameof(PathRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", 224, 224, "Image", ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
            .Fit(data);
        return new Contender("mlnet", images.Count, model)
        {
            RunOnce = () =>
            {
                ReadAll(model.Transform(data), images.Count);
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// ONNX Runtime alone on Transfer's fused graph (pixels → features), 2 intra-op threads, over pixels decoded before
    /// timing, one contender per batch size: the ceiling for the featurizer's decode/inference overlap.
    /// </summary>
    public static List<Contender> RawOrt(IReadOnlyList<ImageEntry> images, int[]? batches = null)
    {
        var backbone = Backbones.Backbones.ResNet18;
        int pixelsPerImage = 4 * backbone.Width * backbone.Height;
        var pixels = Decode(images, backbone.Width, backbone.Height);
        var session = CreateSession(backbone.BuildFeaturizerModel());
        var contenders = new List<Contender>();
        foreach (int batch in batches ?? RawOrtBatches)
        {
            var features = new float[batch * backbone.FeatureLength];
            int runs = images.Count / batch;
            contenders.Add(new Contender($"raw_ort_b{batch}", runs * batch, contenders.Count == 0 ? session : null)
            {
                RunOnce = () =>
                {
                    for (int i = 0; i < runs; i++)
                    {
                        RunBatch(session, pixels.AsMemory(i * batch * pixelsPerImage, batch * pixelsPerImage), batch, features, backbone.Width, backbone.Height);
                    }

                    return Task.CompletedTask;
                },
            });
        }

        return contenders;
    }

    /// <summary>One pre-decoded image and a session over the fused graph, for batch-1 latency.</summary>
    public static RawSession RawBatch1(ImageEntry image)
    {
        var backbone = Backbones.Backbones.ResNet18;
        return new RawSession(CreateSession(backbone.BuildFeaturizerModel()), Decode([image], backbone.Width, backbone.Height), backbone.FeatureLength, backbone.Width, backbone.Height);
    }

    public static JsonObject RawOrtJson(Dictionary<int, Throughput> byBatch, int best) => new()
    {
        ["graph"] = "Backbones.ResNet18.BuildFeaturizerModel() (Pixels [N,4,224,224] → Features [N,512]), ORT_ENABLE_ALL, sequential",
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

    /// <summary>Something measured: set up before timing, <see cref="RunOnce"/> featurizes all its images once.</summary>
    public sealed class Contender(string name, int items, object? owned) : IDisposable
    {
        public string Name { get; } = name;

        public int Items { get; } = items;

        public Func<Task> RunOnce { get; set; } = () => Task.CompletedTask;

        /// <summary>Gets the features of the last run (Transfer only).</summary>
        public FeatureMatrix? LastFeatures { get; set; }

        public void Dispose() => (owned as IDisposable)?.Dispose();
    }

    /// <summary>A session, one image's pixels and its output buffer.</summary>
    public sealed class RawSession(InferenceSession session, float[] pixels, int featureLength, int width, int height) : IDisposable
    {
        public float[] Features { get; } = new float[featureLength];

        public void Run() => RunBatch(session, pixels, 1, Features, width, height);

        public void Dispose() => session.Dispose();
    }

    public sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }
}
