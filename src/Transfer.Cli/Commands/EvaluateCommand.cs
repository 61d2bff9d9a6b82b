using System.CommandLine;
using System.Globalization;
using Transfer.Cli.Output;
using Transfer.Evaluation;
using Transfer.Images;

namespace Transfer.Cli.Commands;

/// <summary><c>transfer evaluate &lt;model.zip&gt; &lt;folder&gt;</c>: scores a labelled folder with a saved model.</summary>
internal static class EvaluateCommand
{
    private const int TopK = 3;

    public static Command Create(CliConsole console)
    {
        var model = new Argument<string>("model") { Description = "A model zip written by 'transfer train'." };
        var folder = new Argument<string?>("folder") { Description = "Labelled images: one sub-folder per class (classes must be among the model's), or --manifest.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Write the metrics as JSON: microAccuracy, macroAccuracy, logLoss, perClass, confusionMatrix..." };
        var manifest = new ManifestArguments("Labelled images");
        var device = DeviceArgument.Create();
        var command = new Command("evaluate", "Evaluate a saved model on a folder of labelled images.") { model, folder, json, device };
        foreach (var option in manifest.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Run(console, parse.GetValue(model)!, parse.GetValue(folder), manifest.Read(parse), parse.GetValue(device)!, parse.GetValue(json), ct))));
        return command;
    }

    /// <summary>Writes the metrics summary, the per-class table and the confusion matrix.</summary>
    public static void WriteEvaluation(CliConsole console, EvaluationResult e)
    {
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Micro-accuracy {e.MicroAccuracy:F4}   macro-accuracy {e.MacroAccuracy:F4}   log-loss {e.LogLoss:F4}   top-{e.TopK} accuracy {e.TopKAccuracy:F4}   ({e.Count} images)"));
        console.WriteTable(
            ["class", "precision", "recall", "F1", "support"],
            e.PerClass.Select(c => (IReadOnlyList<string>)[c.Name, F(c.Precision), F(c.Recall), F(c.F1), c.Support.ToString(CultureInfo.InvariantCulture)]),
            1, 2, 3, 4);
        console.WriteLine("Confusion matrix (rows: true class, columns: predicted):");
        var headers = new List<string> { "true \\ predicted" };
        headers.AddRange(e.Classes);
        var rows = new List<IReadOnlyList<string>>();
        for (int i = 0; i < e.Classes.Count; i++)
        {
            var row = new List<string> { e.Classes[i] };
            for (int j = 0; j < e.Classes.Count; j++)
            {
                row.Add(e.ConfusionMatrix[i, j].ToString(CultureInfo.InvariantCulture));
            }

            rows.Add(row);
        }

        console.WriteTable(headers, rows, Enumerable.Range(1, e.Classes.Count).ToArray());
    }

    private static int Run(CliConsole console, string modelPath, string? folder, ManifestArguments.Settings manifest, string device, bool json, CancellationToken ct)
    {
        var provider = DeviceArgument.Resolve(console, device);
        using var model = CliInputs.LoadModel(modelPath);
        var images = ManifestArguments.LoadFolderOrManifest(folder, manifest, skipMissing: null, "Image");
        var unknown = images.Classes.Where(c => !model.Classes.Contains(c, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            string source = folder is null ? $"Manifest \"{manifest.Path}\"" : $"Folder \"{folder}\"";
            throw new CliException(ExitCode.NoImages, $"{source} has classes the model does not know: {string.Join(", ", unknown)}. The model's classes: {string.Join(", ", model.Classes)}.");
        }

        ct.ThrowIfCancellationRequested();
        using var predictor = model.CreatePredictor(new Models.PredictorOptions { ExecutionProvider = provider, LoggerFactory = console.LoggerFactory });
        int classes = model.Classes.Count;
        var probabilities = new float[images.Count * classes];
        var labels = new int[images.Count];
        const int Chunk = 64;
        for (int start = 0; start < images.Count; start += Chunk)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = images.Entries.Skip(start).Take(Chunk).ToList();
            var predictions = predictor.PredictBatch(chunk, 1);
            for (int i = 0; i < chunk.Count; i++)
            {
                int row = start + i;
                labels[row] = IndexOf(model.Classes, chunk[i].Label);
                for (int c = 0; c < classes; c++)
                {
                    probabilities[(row * classes) + c] = predictions[i].Scores[c];
                }
            }
        }

        var evaluation = Evaluator.Evaluate(model.Classes, probabilities, labels, Math.Min(TopK, classes));
        if (json)
        {
            Json.Write(console, EvaluationJson.From(evaluation));
        }
        else
        {
            WriteEvaluation(console, evaluation);
        }

        return (int)ExitCode.Success;
    }

    private static int IndexOf(IReadOnlyList<string> classes, string label)
    {
        for (int i = 0; i < classes.Count; i++)
        {
            if (string.Equals(classes[i], label, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
