using System.CommandLine;
using System.Globalization;
using Transfer.Cli.Output;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Pipelines;
using Transfer.Search;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>transfer similar &lt;folder&gt; &lt;image&gt; --top K</c>: the images of a folder most similar to one image, by cosine
/// similarity of their bottleneck features (cached, so a second query only featurizes the query image).
/// </summary>
internal static class SimilarCommand
{
    public static Command Create(CliConsole console)
    {
        var folder = new Argument<string>("folder") { Description = "The images to search: one sub-folder per class, as for 'train'." };
        var image = new Argument<string>("image") { Description = "The query image." };
        var top = new Option<int>("--top") { Description = "How many similar images to list.", DefaultValueFactory = _ => 5 };
        var cache = new Option<string?>("--cache") { Description = "Bottleneck cache folder. Default: .bottlenecks inside <folder> (the one 'train' fills)." };
        var backbone = CliInputs.BackboneOption();
        var device = DeviceArgument.Create();
        var json = new Option<bool>("--json") { Description = "Write the results as JSON: query, folder, backbone, searched, results (image, label, score)." };
        var command = new Command("similar", "List the images of a folder most similar to an image (cosine similarity of their features).") { folder, image, top, cache, backbone, json, device };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => RunAsync(console, parse.GetValue(folder)!, parse.GetValue(image)!, parse.GetValue(top), parse.GetValue(cache), parse.GetValue(backbone)!, parse.GetValue(json), parse.GetValue(device)!, ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string folder, string image, int top, string? cache, string backboneName, bool json, string device, CancellationToken ct)
    {
        if (top < 1)
        {
            throw new CliException(ExitCode.Usage, $"--top must be at least 1, was {top}.");
        }

        string query = CliInputs.RequireFile(image, "Query image");
        var images = CliInputs.LoadImages(folder, "Image folder");
        var backbone = CliInputs.ResolveBackbone(backboneName);
        var provider = DeviceArgument.Resolve(console, device);
        var builder = TransferPipeline.For(images).WithBackbone(backbone).WithLoggerFactory(console.LoggerFactory);
        builder = cache is null ? builder : builder.CacheBottlenecks(Path.GetFullPath(cache));
        builder = provider.IsCuda ? builder.WithFeaturizer(new FeaturizerOptions { ExecutionProvider = provider }) : builder;
        var pipeline = builder.Build();
        var collection = await pipeline.FeaturizeAsync(cancellationToken: ct).ConfigureAwait(false);

        // The query gets the collection's preprocessing (its resize was chosen from the collection's images); one image, no cache.
        using var featurizer = new Featurizer(backbone, pipeline.FeaturizerOptions);
        var queryFeatures = await featurizer.FeaturizeAsync(ImageSet.FromEntries([ImageEntry.FromFile(query, "query")]), cancellationToken: ct).ConfigureAwait(false);
        if (queryFeatures.Features.Count == 0)
        {
            throw new CliException(ExitCode.BadImage, $"Query image \"{image}\" cannot be read: {(queryFeatures.Skipped.Count > 0 ? queryFeatures.Skipped[0].Reason : "it was skipped")}.");
        }

        var paths = collection.Images.Select(e => e.Path ?? e.Name).ToList();
        var index = VectorIndex.Build(collection.Features, paths);
        var matches = index.Search(queryFeatures.Features.Row(0), top + 1)
            .Where(m => !string.Equals(Path.GetFullPath(m.Key), query, StringComparison.Ordinal)) // the query itself, when it is in the folder
            .Take(top)
            .Select(m => new SimilarImageJson(m.Key, collection.Images[m.Index].Label, m.Score))
            .ToList();
        if (json)
        {
            Json.Write(console, new SimilarJson(query, Path.GetFullPath(folder), collection.Backbone, index.Count, matches));
            return (int)ExitCode.Success;
        }

        console.WriteLine($"Most similar to {Path.GetRelativePath(Environment.CurrentDirectory, query)} among {index.Count} images ({collection.Backbone}, cosine similarity):");
        console.WriteTable(
            ["rank", "score", "label", "image"],
            matches.Select((m, i) => (IReadOnlyList<string>)[(i + 1).ToString(CultureInfo.InvariantCulture), m.Score.ToString("F3", CultureInfo.InvariantCulture), m.Label, Path.GetRelativePath(Environment.CurrentDirectory, m.Image)]),
            0, 1);
        return (int)ExitCode.Success;
    }
}
