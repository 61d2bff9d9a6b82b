using System.CommandLine;
using System.Globalization;
using Transfer.Cli.Output;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Cli.Commands;

/// <summary><c>transfer predict &lt;model.zip&gt; &lt;image…&gt;</c>: the top classes of each image.</summary>
internal static class PredictCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Argument<string>("model") { Description = "A model zip written by 'transfer train'." };
        var images = new Argument<string[]>("images") { Description = "Image files (or folders: every image in them, recursively).", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "How many classes to list per image, best first.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Write the predictions as JSON: predictions[].image, label, score, top[]." };
        var command = new Command("predict", "Predict the class of images with a saved model.") { model, images, top, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Run(console, parse.GetValue(model)!, parse.GetValue(images)!, parse.GetValue(top), parse.GetValue(json), ct))));
        return command;
    }

    private static PredictionJson ToJson(string image, Prediction p) =>
        new(image, p.Label, p.Score, p.Top.Select(t => new LabelScoreJson(t.Label, t.Score)).ToList());

    private static int Run(CliConsole console, string modelPath, string[] inputs, int top, bool json, CancellationToken ct)
    {
        if (top < 1)
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--top must be at least 1, was {top}."));
        }

        var paths = ExpandImages(inputs);
        using var model = CliInputs.LoadModel(modelPath);
        ct.ThrowIfCancellationRequested();
        using var predictor = model.CreatePredictor();
        int k = Math.Min(top, model.Classes.Count);
        var results = new List<PredictionJson>(paths.Count);
        var failed = new List<SkippedJson>();
        foreach (var chunk in paths.Chunk(32))
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var predictions = predictor.PredictBatch(chunk.Select(p => ImageEntry.FromFile(p, string.Empty)).ToList(), k);
                for (int i = 0; i < chunk.Length; i++)
                {
                    results.Add(ToJson(chunk[i], predictions[i]));
                }
            }
            catch (InvalidImageException)
            {
                // A batch stops at its first unreadable image: redo this one image by image, so the others are still predicted.
                foreach (string path in chunk)
                {
                    try
                    {
                        results.Add(ToJson(path, predictor.Predict(path, k)));
                    }
                    catch (InvalidImageException ex)
                    {
                        failed.Add(new SkippedJson(path, ex.Message));
                    }
                }
            }
        }

        foreach (var failure in failed)
        {
            console.Error.WriteLine($"error: {failure.Reason}");
        }

        if (json)
        {
            Json.Write(console, new PredictJson(results, failed));
            return (int)(failed.Count > 0 ? ExitCode.BadImage : ExitCode.Success);
        }

        console.WriteTable(
            ["image", "label", "score", $"top {k}"],
            results.Select(r => (IReadOnlyList<string>)[
                Path.GetRelativePath(Environment.CurrentDirectory, r.Image),
                r.Label,
                r.Score.ToString("P1", CultureInfo.InvariantCulture),
                string.Join(", ", r.Top.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Label} {t.Score:P1}")))]),
            2);
        return (int)(failed.Count > 0 ? ExitCode.BadImage : ExitCode.Success);
    }

    private static List<string> ExpandImages(string[] inputs)
    {
        var paths = new List<string>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                var found = Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => ImageSetOptions.DefaultExtensions.Contains(Path.GetExtension(f).ToLowerInvariant(), StringComparer.Ordinal)
                        && !Path.GetFileName(f).StartsWith('.'))
                    .Order(StringComparer.Ordinal)
                    .Select(Path.GetFullPath)
                    .ToList();
                if (found.Count == 0)
                {
                    throw new CliException(ExitCode.NoImages, $"Folder \"{input}\" holds no images ({string.Join(", ", ImageSetOptions.DefaultExtensions)}).");
                }

                paths.AddRange(found);
            }
            else
            {
                paths.Add(CliInputs.RequireFile(input, "Image"));
            }
        }

        return paths;
    }
}
