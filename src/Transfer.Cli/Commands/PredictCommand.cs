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
        var json = new Option<bool>("--json") { Description = "Write the predictions as JSON: predictions[].image, label, score, top[] (and unknown with --unknown)." };
        var unknown = new Option<bool>("--unknown") { Description = "Answer 'unknown' for an image whose highest class probability is below the model's stored threshold (chosen in training for --unknown-rate)." };
        var unknownThreshold = new Option<float?>("--unknown-threshold") { Description = "With --unknown: this threshold on the highest class probability instead of the model's (needed for models saved without one)." };
        var device = DeviceArgument.Create();
        var command = new Command("predict", "Predict the class of images with a saved model.") { model, images, top, json, unknown, unknownThreshold, device };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Run(console, parse.GetValue(model)!, parse.GetValue(images)!, parse.GetValue(top), parse.GetValue(json), new PredictorOptions { LoggerFactory = console.LoggerFactory, RejectUnknown = parse.GetValue(unknown) || parse.GetValue(unknownThreshold) is not null, UnknownThreshold = parse.GetValue(unknownThreshold), ExecutionProvider = DeviceArgument.Resolve(console, parse.GetValue(device)!) }, ct))));
        return command;
    }

    private static PredictionJson ToJson(string image, Prediction p, bool rejecting) =>
        new(image, p.Label, p.Score, p.Top.Select(t => new LabelScoreJson(t.Label, t.Score)).ToList(), rejecting ? p.IsUnknown : null);

    private static int Run(CliConsole console, string modelPath, string[] inputs, int top, bool json, PredictorOptions options, CancellationToken ct)
    {
        if (options.UnknownThreshold is not (null or (>= 0f and <= 1f)))
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--unknown-threshold must be a probability in [0, 1], was {options.UnknownThreshold}."));
        }

        if (top < 1)
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--top must be at least 1, was {top}."));
        }

        var paths = ExpandImages(inputs);
        using var model = CliInputs.LoadModel(modelPath);
        ct.ThrowIfCancellationRequested();
        if (options.RejectUnknown && options.UnknownThreshold is null && model.Manifest.Unknown is null)
        {
            throw new CliException(ExitCode.Usage, $"--unknown: model \"{modelPath}\" stores no 'unknown' threshold (it was saved before Transfer chose one in training, or trained without held-out predictions). Retrain it, or pass --unknown-threshold <probability> (e.g. 0.5).");
        }

        using var predictor = model.CreatePredictor(options);
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
                    results.Add(ToJson(chunk[i], predictions[i], options.RejectUnknown));
                }
            }
            catch (InvalidImageException)
            {
                // A batch stops at its first unreadable image: redo this one image by image, so the others are still predicted.
                foreach (string path in chunk)
                {
                    try
                    {
                        results.Add(ToJson(path, predictor.Predict(path, k), options.RejectUnknown));
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

    internal static List<string> ExpandImages(string[] inputs)
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
