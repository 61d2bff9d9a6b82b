using System.Diagnostics;
using System.Text.Json.Nodes;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;

namespace Transfer.Benchmarks;

/// <summary>
/// Head training time with the default trainer (<see cref="MaximumEntropyHeadTrainer"/>, L-BFGS maximum entropy) and
/// ML.NET's <c>LbfgsMaximumEntropy</c> (<see cref="MlNetHeadTrainer"/>, the previous default) on an N × 512 matrix made of
/// copies of real ResNet18 features with seeded jitter.
/// </summary>
internal static class HeadBench
{
    /// <summary>The command that times every head alone: <c>heads [rows]</c>.</summary>
    public const string Command = "heads";

    /// <summary>
    /// Head training alone: every head on N × 512 (default 60,000) rows made from real ResNet18 features of the embedded
    /// QuickStart images, in one process.
    /// </summary>
    public static async Task<int> RunEveryHeadAsync(int rows)
    {
        string root = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "samples", "QuickStart", "data", "train");
        var images = Transfer.Images.ImageSet.FromDirectory(root);
        using var featurizer = new Featurizer(Transfer.Backbones.Backbones.ResNet18);
        var real = await featurizer.FeaturizeAsync(images);
        Console.WriteLine($"Every head on {rows} × 512 (jittered copies of {real.Features.Count} real ResNet18 feature vectors), {Environment.ProcessorCount} cores:");
        MeasureEveryHead(real.Features, real.Classes, rows, (name, seconds) => Console.WriteLine($"  {name,-24} {seconds,7:F2} s"));
        return 0;
    }

    /// <summary>Relative jitter (× each feature's value plus a small absolute term) added to each copied row.</summary>
    public const float Jitter = 0.05f;

    public static FeatureMatrix Synthesize(FeatureMatrix real, int rows, int seed = 7)
    {
        int d = real.Dimension;
        var values = new float[(long)rows * d];
        var labels = new int[rows];
        var random = new Random(seed);
        for (int i = 0; i < rows; i++)
        {
            int source = i % real.Count;
            var from = real.Row(source);
            var to = values.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                float noise = (float)((random.NextDouble() * 2) - 1);
                to[j] = Math.Max(0, from[j] + (noise * ((Jitter * from[j]) + 0.01f)));
            }

            labels[i] = real.Labels[source];
        }

        return new FeatureMatrix(values, rows, d, labels, real.ClassCount);
    }

    public static (List<double> Seconds, double TrainAccuracy) Measure(FeatureMatrix real, IReadOnlyList<string> classes, int rows, int repetitions, HeadTrainer? trainer = null)
    {
        trainer ??= new MaximumEntropyHeadTrainer();

        // Warm-up on a small matrix: JIT and ML.NET's first-use costs are not head training.
        trainer.Train(Synthesize(real, Math.Min(rows, 500), seed: 1), null, classes);
        var matrix = Synthesize(real, rows);
        var seconds = new List<double>();
        TrainedHead? head = null;
        for (int r = 0; r < repetitions; r++)
        {
            GC.Collect();
            var clock = Stopwatch.StartNew();
            head = trainer.Train(matrix, null, classes);
            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        var probabilities = head!.PredictProbabilities(real);
        int correct = 0;
        for (int i = 0; i < real.Count; i++)
        {
            var p = probabilities.AsSpan(i * real.ClassCount, real.ClassCount);
            int best = 0;
            for (int c = 1; c < p.Length; c++)
            {
                best = p[c] > p[best] ? c : best;
            }

            correct += best == real.Labels[i] ? 1 : 0;
        }

        return (seconds, (double)correct / real.Count);
    }

    /// <summary>
    /// Times every head on the same matrix, in one process: the default L-BFGS trainer and the neural heads at
    /// 10 epochs (batch 32, Adam, no validation split), as issue-style "each head on N × 512 for 10 epochs".
    /// </summary>
    public static JsonArray MeasureEveryHead(FeatureMatrix real, IReadOnlyList<string> classes, int rows, Action<string, double> row)
    {
        var matrix = Synthesize(real, rows);
        static NeuralHeadOptions TenEpochs(int[]? hidden = null)
        {
            var o = new NeuralHeadOptions { Epochs = 10, EarlyStopping = null, ValidationFraction = 0, AllowNoValidation = true };
            if (hidden is not null)
            {
                o.HiddenLayers = hidden;
            }

            return o;
        }

        var heads = new (string Name, HeadTrainer Trainer)[]
        {
            ("lbfgs (default)", new MaximumEntropyHeadTrainer()),
            ("lbfgs, ML.NET LbfgsMaximumEntropy", new MlNetHeadTrainer()),
            ("softmax, 10 epochs", new NeuralHeadTrainer(new SoftmaxHead(TenEpochs()))),
            ("mlp [256], 10 epochs", new NeuralHeadTrainer(new MlpHead(TenEpochs()))),
            ("mlp [128], 10 epochs", new NeuralHeadTrainer(new MlpHead(TenEpochs([128])))),
        };
        var result = new JsonArray();
        foreach (var (name, trainer) in heads)
        {
            trainer.Train(Synthesize(real, Math.Min(rows, 500), seed: 1), null, classes); // warm-up: JIT, first use
            GC.Collect();
            var clock = Stopwatch.StartNew();
            trainer.Train(matrix, null, classes);
            double seconds = clock.Elapsed.TotalSeconds;
            row(name, seconds);
            result.Add(new JsonObject { ["head"] = name, ["rows"] = rows, ["seconds"] = Stats.Round(seconds, 3) });
        }

        return result;
    }

    public static JsonObject ToJson(List<double> seconds, int rows, int realRows, double accuracy, string trainer = "MaximumEntropyHeadTrainer (defaults: ML.NET LbfgsMaximumEntropy's objective and tolerance)") => new()
    {
        ["trainer"] = trainer,
        ["rows"] = rows,
        ["dimension"] = 512,
        ["seconds"] = Stats.Round(Stats.Median(seconds), 3),
        ["runs_seconds"] = new JsonArray([.. seconds.Select(s => (JsonNode?)Stats.Round(s, 3))]),
        ["synthetic"] = $"copies of {realRows} real ResNet18 feature vectors with ±{Jitter * 100}% seeded jitter",
        ["accuracy_on_real_rows"] = Stats.Round(accuracy, 4),
    };
}
