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

    public static List<double> TransferLatencies(string modelPath, IReadOnlyList<ImageEntry> images, int samples)
    {
        using var model = TransferModel.Load(modelPath);
        using var predictor = model.CreatePredictor();
        return Latencies(images, samples, path => predictor.Predict(path).Label);
    }

    public static List<double> MlNetLatencies(string modelPath, IReadOnlyList<ImageEntry> images, int samples)
    {
        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.Load(modelPath, out _);
        try
        {
            using var engine = ml.Model.CreatePredictionEngine<ImageInput, ImageOutput>(loaded);
            var input = new ImageInput();
            var output = new ImageOutput();
            return Latencies(images, samples, path =>
            {
                input.ImagePath = path;
                engine.Predict(input, ref output);
                return output.PredictedLabel;
            });
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

    /// <summary>Times one call per image, cycling through the images, after a short warm-up.</summary>
    private static List<double> Latencies(IReadOnlyList<ImageEntry> images, int samples, Func<string, string> predict)
    {
        for (int i = 0; i < WarmUp; i++)
        {
            predict(images[i % images.Count].Path!);
        }

        var times = new List<double>(samples);
        for (int i = 0; i < samples; i++)
        {
            string path = images[i % images.Count].Path!;
            long start = Stopwatch.GetTimestamp();
            string label = predict(path);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (label.Length == 0)
            {
                throw new InvalidOperationException($"Empty predicted label for {path}.");
            }
        }

        return times;
    }

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
