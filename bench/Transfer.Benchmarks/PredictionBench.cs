using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Benchmarks;

/// <summary>
/// Single-image latency of Transfer's <see cref="Predictor"/> and of ML.NET's <c>PredictionEngine</c> on the same saved
/// zip, and the predictor's batch throughput.
/// </summary>
internal static class PredictionBench
{
    private const int WarmUp = 5;

    /// <summary>
    /// Times single-image predictions, interleaved so that load from other processes falls on all alike: Transfer's
    /// <see cref="Predictor"/>, ML.NET's <c>PredictionEngine</c> on the same zip, raw ONNX Runtime at batch 1 on
    /// pre-decoded pixels, and the head alone on one feature row. Each after a short warm-up.
    /// </summary>
    public static Dictionary<string, List<double>> InterleavedLatencies(string modelPath, IReadOnlyList<ImageEntry> images, int samples)
    {
        using var model = TransferModel.Load(modelPath);
        using var predictor = model.CreatePredictor();
        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.Load(modelPath, out _);
        using var engine = ml.Model.CreatePredictionEngine<ImageInput, ImageOutput>(loaded);
        using var raw = FeaturizationBench.RawBatch1(images[0]);
        var input = new ImageInput();
        var output = new ImageOutput();
        var features = new float[model.Head.FeatureLength];
        var probabilities = new float[model.Classes.Count];
        var calls = new (string Name, Func<string, string> Call)[]
        {
            ("transfer", path => predictor.Predict(path).Label),
            ("mlnet", path =>
            {
                input.ImagePath = path;
                engine.Predict(input, ref output);
                return output.PredictedLabel;
            }),
            ("raw_ort", _ =>
            {
                raw.Run();
                return "raw";
            }),
            ("head", _ =>
            {
                // The raw session gives ResNet18's 512 features; the model's head may take more (ResNet18-MS: 768). The cost
                // of a head does not depend on the values, so its row is the raw features, zero-padded to its length.
                raw.Features.AsSpan(0, Math.Min(raw.Features.Length, features.Length)).CopyTo(features);
                model.Head.PredictProbabilities(features, 1, probabilities);
                return "head";
            }),
        };
        try
        {
            var times = calls.ToDictionary(c => c.Name, _ => new List<double>(samples));
            for (int i = -WarmUp; i < samples; i++)
            {
                string path = images[(i + images.Count) % images.Count].Path!;
                foreach (var (name, call) in calls)
                {
                    long start = Stopwatch.GetTimestamp();
                    string label = call(path);
                    double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (label.Length == 0)
                    {
                        throw new InvalidOperationException($"{name}: empty predicted label for {path}.");
                    }

                    if (i >= 0)
                    {
                        times[name].Add(ms);
                    }
                }
            }

            return times;
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    public static Throughput TransferBatch(string modelPath, IReadOnlyList<ImageEntry> images, int repetitions)
    {
        using var model = TransferModel.Load(modelPath);
        using var predictor = model.CreatePredictor();
        var paths = images.Select(e => e.Path!).ToList();
        predictor.PredictBatch(paths.Take(16));
        var samples = new List<Sample>();
        for (int r = 0; r < repetitions; r++)
        {
            samples.Add(Sample.Time(paths.Count, () =>
            {
                if (predictor.PredictBatch(paths).Count != paths.Count)
                {
                    throw new InvalidOperationException("PredictBatch returned the wrong number of predictions.");
                }
            }));
        }

        return new Throughput(samples);
    }

    public static JsonObject LatencyJson(List<double> milliseconds) => new()
    {
        ["samples"] = milliseconds.Count,
        ["p50_ms"] = Stats.Round(Stats.Percentile(milliseconds, 50), 3),
        ["p90_ms"] = Stats.Round(Stats.Percentile(milliseconds, 90), 3),
        ["p99_ms"] = Stats.Round(Stats.Percentile(milliseconds, 99), 3),
        ["min_ms"] = Stats.Round(milliseconds.Min(), 3),
        ["max_ms"] = Stats.Round(milliseconds.Max(), 3),
    };

    /// <summary>The saved model's input (ScoringInput.ImagePath).</summary>
    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    /// <summary>The saved model's outputs.</summary>
    public sealed class ImageOutput
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];
    }
}
