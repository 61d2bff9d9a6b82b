using System.CommandLine;
using System.Globalization;
using Transfer.Auditing;
using Transfer.Cli.Output;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Pipelines;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>transfer audit &lt;folder&gt;</c>: the training images whose label looks wrong (cross-validated probabilities,
/// cleanlab-style) and near-duplicate images, especially those filed under two classes; features from the cache.
/// </summary>
internal static class AuditCommand
{
    public static Command Create(CliConsole console)
    {
        var folder = new Argument<string>("folder") { Description = "The labelled images: one sub-folder per class, as for 'train'." };
        var top = new Option<int>("--top") { Description = "How many suspects and near-duplicate pairs to list (the counts cover all).", DefaultValueFactory = _ => 20 };
        var cache = new Option<string?>("--cache") { Description = "Bottleneck cache folder. Default: .bottlenecks inside <folder> (the one 'train' fills)." };
        var backbone = CliInputs.BackboneOption();
        var head = CliInputs.Completing(new Option<string>("--head") { Description = $"The head cross-validated to judge the labels: {string.Join(", ", CliInputs.Heads)}.", DefaultValueFactory = _ => "auto" }, CliInputs.Heads);
        var device = DeviceArgument.Create();
        var folds = new Option<int>("--folds") { Description = "Cross-validation folds.", DefaultValueFactory = _ => Evaluation.CrossValidation.DefaultFolds };
        var seed = new Option<int>("--seed") { Description = "Seed of the fold assignment.", DefaultValueFactory = _ => 42 };
        var threshold = new Option<float>("--duplicate-threshold") { Description = "Cosine similarity of centred features from which two images are near-duplicates.", DefaultValueFactory = _ => LabelAuditOptions.DefaultDuplicateThreshold };
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Leave out images that cannot be decoded and list them, instead of stopping at the first one." };
        var json = new Option<bool>("--json") { Description = "Write the results as JSON: judge, counts, suspects (image, givenLabel, suggestedLabel, score), duplicates (a, b, similarity, crossClass), skipped." };
        var command = new Command("audit", "List the images whose label looks wrong (cross-validated probabilities) and near-duplicate images, especially across classes.") { folder, top, cache, backbone, head, folds, seed, threshold, skipBad, json, device };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => RunAsync(
            console,
            new Settings(parse.GetValue(folder)!, parse.GetValue(top), parse.GetValue(cache), parse.GetValue(backbone)!, parse.GetValue(head)!, parse.GetValue(folds), parse.GetValue(seed), parse.GetValue(threshold), parse.GetValue(skipBad), parse.GetValue(json), parse.GetValue(device)!),
            ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, Settings s, CancellationToken ct)
    {
        if (s.Top < 1)
        {
            throw new CliException(ExitCode.Usage, $"--top must be at least 1, was {s.Top}.");
        }

        if (s.Folds < 2)
        {
            throw new CliException(ExitCode.Usage, $"--folds must be at least 2, was {s.Folds}.");
        }

        if (!(s.Threshold > -1f && s.Threshold <= 1f))
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--duplicate-threshold must be a cosine similarity in (-1, 1], was {s.Threshold}."));
        }

        var options = new LabelAuditOptions
        {
            Head = s.Head.Equals("auto", StringComparison.OrdinalIgnoreCase) ? null : CliInputs.CreateHead(s.Head, null, s.Seed),
            Folds = s.Folds,
            Seed = s.Seed,
            DuplicateThreshold = s.Threshold,
        };
        var images = CliInputs.LoadImages(s.Folder, "Image folder");
        if (images.Classes.Count < 2)
        {
            throw new CliException(ExitCode.NoImages, $"Image folder \"{s.Folder}\" holds only one class (\"{string.Join(", ", images.Classes)}\"): a label can only be doubted against another class. Add a sub-folder of images for each other class.");
        }

        var backbone = CliInputs.ResolveBackbone(s.Backbone);
        var provider = DeviceArgument.Resolve(console, s.Device);
        var builder = TransferPipeline.For(images).WithBackbone(backbone).WithLoggerFactory(console.LoggerFactory);
        builder = s.Cache is null ? builder : builder.CacheBottlenecks(Path.GetFullPath(s.Cache));
        builder = s.SkipBadImages || provider.IsCuda ? builder.WithFeaturizer(new FeaturizerOptions { BadImagePolicy = s.SkipBadImages ? BadImagePolicy.Skip : BadImagePolicy.Fail, ExecutionProvider = provider }) : builder;
        Embeddings embeddings;
        LabelAuditResult audit;
        try
        {
            embeddings = await builder.Build().FeaturizeAsync(cancellationToken: ct).ConfigureAwait(false);
            audit = await Task.Run(() => LabelAudit.Run(embeddings.Features, embeddings.Images, embeddings.Classes, options, ct), ct).ConfigureAwait(false);
        }
        catch (InvalidImageException ex)
        {
            throw new CliException(ExitCode.BadImage, $"{ex.Message} Remove or replace the file, or pass --skip-bad-images to leave such files out.", ex);
        }
        catch (ArgumentException ex)
        {
            // One class only, a class of one image, or every image skipped.
            string reason = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            throw new CliException(ExitCode.NoImages, $"Image folder \"{s.Folder}\": {reason}", ex);
        }

        var suspects = audit.Suspects.Take(s.Top).ToList();
        var duplicates = audit.Duplicates.Take(s.Top).ToList();
        if (s.Json)
        {
            Json.Write(console, new AuditJson(
                Path.GetFullPath(s.Folder), embeddings.Backbone, audit.Judge, audit.Folds, audit.OutOfFoldAccuracy, audit.DuplicateThreshold,
                new AuditCountsJson(audit.Images, audit.Classes.Count, audit.Suspects.Count, audit.LabelIssues, audit.Duplicates.Count, audit.CrossClassDuplicates, audit.IdenticalDuplicates, embeddings.Skipped.Count),
                [.. suspects.Select(x => new SuspectJson(PathOf(x.Image), x.GivenLabel, x.SuggestedLabel, x.Score, x.GivenProbability, x.SuggestedProbability, x.IsLabelIssue))],
                [.. duplicates.Select(d => new DuplicateJson(PathOf(d.A), PathOf(d.B), d.A.Label, d.B.Label, d.Similarity, d.CrossClass, d.Identical))],
                [.. embeddings.Skipped.Select(k => new SkippedJson(k.Source, k.Reason))]));
            return (int)ExitCode.Success;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Audited {audit.Images} images in {audit.Classes.Count} classes ({embeddings.Backbone}; {embeddings.CacheHits} from the bottleneck cache), judged by {audit.Judge} over {audit.Folds} folds: the given label is the most probable out of fold for {audit.OutOfFoldAccuracy:P1}."));
        foreach (var skipped in embeddings.Skipped)
        {
            console.WriteLine($"Skipped {skipped.Source}: {skipped.Reason}");
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{audit.Suspects.Count} suspect labels ({audit.LabelIssues} label issues by confident learning); the {suspects.Count} most suspect (lowest cross-validated probability of the given label first):"));
        console.WriteTable(
            ["rank", "score", "given", "suggested", "p(given)", "image"],
            suspects.Select((x, i) => (IReadOnlyList<string>)[(i + 1).ToString(CultureInfo.InvariantCulture), F(x.Score), x.GivenLabel, x.SuggestedLabel, F(x.GivenProbability), Relative(x.Image)]),
            0, 1, 4);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{audit.Duplicates.Count} near-duplicate pairs at cosine ≥ {audit.DuplicateThreshold:0.###} ({audit.CrossClassDuplicates} across classes, {audit.IdenticalDuplicates} identical files){(duplicates.Count > 0 ? ":" : ".")}"));
        if (duplicates.Count > 0)
        {
            console.WriteTable(
                ["similarity", "classes", "image", "image"],
                duplicates.Select(d => (IReadOnlyList<string>)[d.Identical ? "identical" : F(d.Similarity), d.CrossClass ? $"{d.A.Label} ≠ {d.B.Label}" : d.A.Label, Relative(d.A), Relative(d.B)]),
                0);
        }

        return (int)ExitCode.Success;
    }

    private static string PathOf(ImageEntry image) => image.Path ?? image.Name;

    private static string Relative(ImageEntry image) => image.Path is { } path ? Path.GetRelativePath(Environment.CurrentDirectory, path) : image.Name;

    private static string F(float value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private sealed record Settings(string Folder, int Top, string? Cache, string Backbone, string Head, int Folds, int Seed, float Threshold, bool SkipBadImages, bool Json, string Device);
}
