using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Transfer.Featurization;
using Transfer.Models;

namespace Transfer.Benchmarks;

/// <summary>
/// Time to the first prediction in a fresh process (<c>Transfer.Benchmarks startup &lt;zip&gt; &lt;image&gt; &lt;graph folder&gt; &lt;warm-up&gt;</c>):
/// <c>TransferModel.Load</c>, <c>CreatePredictor</c> (ONNX Runtime session, optionally from a saved optimized graph, and
/// the warm-up run), the first and the second <c>Predict</c>. The parent runs three kinds of children, interleaved:
/// no saved graph yet, a saved graph, and a saved graph without the warm-up.
/// </summary>
internal static class StartupBench
{
    /// <summary>The command that measures the time to the first prediction alone: <c>first-predict [rounds]</c>.</summary>
    public const string FirstPredictCommand = "first-predict";

    /// <summary>Time to the first prediction alone, on a small model trained here from the embedded QuickStart images.</summary>
    public static async Task<int> FirstPredictAsync(int rounds, string repoRoot)
    {
        string work = Path.Combine(Path.GetTempPath(), $"transfer-startup-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            string root = Path.Combine(repoRoot, "samples", "QuickStart", "data");
            var quickStart = Transfer.Images.ImageSet.FromDirectory(Path.Combine(root, "train"));
            var small = Transfer.Images.ImageSet.FromEntries(quickStart.Entries.Where((_, i) => i % 10 == 0), quickStart.Classes);
            string zip = Path.Combine(work, "model.zip");
            using (var featurizer = new Featurizer(Transfer.Backbones.Backbones.ResNet18))
            {
                var features = await featurizer.FeaturizeAsync(small);
                var trainer = new Transfer.Heads.MlNetHeadTrainer();
                using var model = TransferModel.Create(featurizer, trainer.Train(features.Features, null, features.Classes), trainer.Describe());
                model.Save(zip);
            }

            var startup = StartupBench.Measure(zip, Directory.GetFiles(Path.Combine(root, "test", quickStart.Classes[0]))[0], work, rounds);
            foreach (var (name, runs) in startup)
            {
                Console.WriteLine($"{name}: {StartupBench.ToJson(runs).ToJsonString()}");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    public const string Command = "startup";
    private const string ResultPrefix = "STARTUP-RESULT ";

    public static readonly (string Name, bool FreshGraphFolder, bool WarmUp)[] Kinds =
    [
        ("graph_optimized_now", true, true),
        ("saved_graph", false, true),
        ("saved_graph_no_warmup", false, false),
    ];

    /// <summary>Runs <paramref name="rounds"/> rounds of the three kinds, each in its own process, and returns every result by kind.</summary>
    public static Dictionary<string, List<JsonObject>> Measure(string modelPath, string imagePath, string workDirectory, int rounds)
    {
        var results = Kinds.ToDictionary(k => k.Name, _ => new List<JsonObject>());
        string saved = Path.Combine(workDirectory, "graphs-saved");
        for (int round = 0; round < rounds; round++)
        {
            foreach (var (name, fresh, warmUp) in Kinds)
            {
                string folder = fresh ? Path.Combine(workDirectory, $"graphs-fresh-{round}") : saved;
                if (fresh && Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                if (!fresh && !Directory.Exists(saved))
                {
                    RunChild(modelPath, imagePath, saved, true); // first child fills the saved-graph folder
                }

                results[name].Add(RunChild(modelPath, imagePath, folder, warmUp));
            }
        }

        return results;
    }

    public static JsonObject ToJson(List<JsonObject> runs)
    {
        var json = new JsonObject { ["runs"] = runs.Count };
        foreach (var key in new[] { "load_ms", "create_predictor_ms", "session_ms", "first_predict_ms", "second_predict_ms", "load_to_first_prediction_ms" })
        {
            json[$"median_{key}"] = Stats.Round(Median(runs, key), 1);
        }

        json["from_saved_graph"] = runs.All(r => (bool)r["from_saved_graph"]!);
        return json;
    }

    public static double Median(List<JsonObject> runs, string key) => Stats.Median(runs.Select(r => (double)r[key]!).ToList());

    /// <summary>The child: load, create the predictor, predict twice, print the timings.</summary>
    public static int Child(string modelPath, string imagePath, string graphFolder, bool warmUp)
    {
        long start = Stopwatch.GetTimestamp();
        using var model = TransferModel.Load(modelPath);
        double load = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        long t1 = Stopwatch.GetTimestamp();
        using var predictor = model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = graphFolder, WarmUp = warmUp });
        double create = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
        long t2 = Stopwatch.GetTimestamp();
        var first = predictor.Predict(imagePath);
        double firstMs = Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
        long t3 = Stopwatch.GetTimestamp();
        var second = predictor.Predict(imagePath);
        double secondMs = Stopwatch.GetElapsedTime(t3).TotalMilliseconds;
        if (first.Label != second.Label)
        {
            throw new InvalidOperationException($"Two predictions of {imagePath} differ: {first.Label}, {second.Label}.");
        }

        var result = new JsonObject
        {
            ["load_ms"] = Stats.Round(load, 1),
            ["create_predictor_ms"] = Stats.Round(create, 1),
            ["session_ms"] = Stats.Round(predictor.SessionCreationTime.TotalMilliseconds, 1),
            ["from_saved_graph"] = predictor.SessionFromSavedGraph,
            ["warm_up"] = warmUp,
            ["first_predict_ms"] = Stats.Round(firstMs, 1),
            ["second_predict_ms"] = Stats.Round(secondMs, 1),
            ["load_to_first_prediction_ms"] = Stats.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds - secondMs, 1),
        };
        Console.WriteLine(ResultPrefix + result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }

    private static JsonObject RunChild(string modelPath, string imagePath, string graphFolder, bool warmUp)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The program's path is unknown.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (var arg in new[] { Command, modelPath, imagePath, graphFolder, warmUp.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start \"{self}\".");
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        if (!child.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException("The startup child ran past 3 minutes and was stopped.");
        }

        string output = stdout.GetAwaiter().GetResult();
        string? line = output.Split('\n').LastOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The startup child exited with code {child.ExitCode} and no result.{Environment.NewLine}{output}{stderr.GetAwaiter().GetResult()}");
        }

        return JsonNode.Parse(line[ResultPrefix.Length..])!.AsObject();
    }
}
