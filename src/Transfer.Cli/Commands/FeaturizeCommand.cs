using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Caching;
using Transfer.Cli.Output;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>transfer featurize &lt;folder|manifest&gt;... --shard i/N</c>: fills a bottleneck cache with the vectors that
/// <c>transfer train</c> reads, for one shard of the images (by content hash), so many processes or machines share the work.
/// </summary>
internal static class FeaturizeCommand
{
    public static Command Create(CliConsole console)
    {
        var inputs = new Argument<string[]>("images") { Description = "Image folders (one sub-folder per class) or CSV manifests (path,label). The first is the training set: --resize auto chooses from it, as 'train' does.", Arity = ArgumentArity.ZeroOrMore };
        var cache = new Option<string?>("--cache") { Description = "Bottleneck cache folder (shared by every shard, or one per shard merged later with 'transfer cache merge'). Default: .bottlenecks inside the first folder." };
        var backbone = CliInputs.BackboneOption();
        var shard = new Option<string>("--shard") { Description = "This process's part i/N of the images, numbered from 0 (e.g. $JOB_COMPLETION_INDEX/8). Images are assigned by content hash: stable, and each distinct image to exactly one shard.", DefaultValueFactory = _ => "0/1" };
        var resize = CliInputs.Completing(new Option<string>("--resize") { Description = "As 'train --resize': auto (chosen from the first input's images), stretch, crop or pad. Use the value 'train' will use.", DefaultValueFactory = _ => "auto" }, CliInputs.ResizeModes);
        var augment = CliInputs.Completing(new Option<string>("--augment") { Description = "Views to featurize besides the plain one, as 'train --augment': auto and flip (the mirror image, what 'train' with its default head reads), standard, or none (for 'train' with a pinned --head).", DefaultValueFactory = _ => "auto" }, CliInputs.AugmentPolicies);
        var manifest = new ManifestArguments("The training images (first input, before the folders)");
        var device = DeviceArgument.Create();
        var decode = CliInputs.DecodeOption();
        var segmentSize = new Option<int>("--segment-size") { Description = "Vectors per committed cache segment: a kill loses at most this many per view (rerun the shard to resume).", DefaultValueFactory = _ => BottleneckCacheOptions.DefaultSegmentSize };
        var skipBad = new Option<bool>("--skip-bad-images") { Description = "Leave out images that cannot be decoded and list them, instead of stopping at the first one." };
        var json = new Option<bool>("--json") { Description = "Write the result as JSON." };
        var command = new Command("featurize", "Featurize images into a bottleneck cache, optionally one shard of them (--shard i/N), so 'train' on that cache featurizes nothing.")
        {
            inputs, cache, backbone, shard, resize, augment, decode, segmentSize, skipBad, json, device,
        };
        foreach (var option in manifest.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => RunAsync(
            console,
            new Settings(parse.GetValue(inputs)!, parse.GetValue(cache), parse.GetValue(backbone)!, parse.GetValue(shard)!, parse.GetValue(resize)!, parse.GetValue(augment)!, parse.GetValue(decode), parse.GetValue(segmentSize), parse.GetValue(skipBad), parse.GetValue(json), manifest.Read(parse), parse.GetValue(device)!),
            ct)));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, Settings s, CancellationToken ct)
    {
        ImageShard shard;
        try
        {
            shard = ImageShard.Parse(s.Shard);
        }
        catch (FormatException ex)
        {
            throw new CliException(ExitCode.Usage, $"--shard: {ex.Message}", ex);
        }

        if (s.SegmentSize is < 1 or > BottleneckCacheOptions.MaxSegmentSize)
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--segment-size must be 1 to {BottleneckCacheOptions.MaxSegmentSize}, was {s.SegmentSize}."));
        }

        var policy = CliInputs.ParseAugment(s.Augment);
        bool? scaled = CliInputs.ParseDecode(s.Decode);
        var provider = DeviceArgument.Resolve(console, s.Device);
        var sets = s.Inputs.Select((input, i) => LoadInput(input, i == 0 && s.Manifest.Path is null ? "Image folder" : "Image folder or manifest")).ToList();
        var listed = s.Manifest.Path is null ? null : ManifestArguments.Load(s.Manifest.Path, s.Manifest.PathColumn, s.Manifest.LabelColumn, s.SkipBadImages);
        if (listed is not null)
        {
            sets.Insert(0, listed);
        }
        else if (sets.Count == 0)
        {
            throw new CliException(ExitCode.Usage, "Pass the image folders (or CSV manifests) to featurize, or --manifest <labels.csv>.");
        }
        else if (s.Manifest.PathColumn is not null || s.Manifest.LabelColumn is not null)
        {
            throw new CliException(ExitCode.Usage, "--path-col and --label-col choose the columns of --manifest; pass --manifest <labels.csv>, or leave them out.");
        }

        var backbone = CliInputs.ResolveBackbone(s.Backbone);
        var (preprocessing, reason) = ChoosePreprocessing(s.Resize, sets[0], backbone);
        preprocessing = scaled is { } decodeScaled ? preprocessing with { ScaledDecode = decodeScaled } : preprocessing;

        // Every distinct image once, in a stable order; this shard's by content hash.
        var all = sets.SelectMany(set => set.Entries).ToList();
        var mine = shard.Count <= 1 ? all : all.Where(e => shard.Contains(HashOf(e))).ToList(); // one shard: every image, without reading each one to hash it
        string cacheDirectory = Path.GetFullPath(s.Cache ?? BottleneckCache.GetDefaultDirectory(sets[0].Root ?? Path.GetDirectoryName(Path.GetFullPath(s.Inputs[0]))!));
        var clock = Stopwatch.StartNew();
        var views = new List<FeaturizedViewJson>();
        var skipped = (listed?.Skipped ?? []).Select(k => new SkippedJson(k.Source, k.Reason)).ToList();
        using (var cache = CliInputs.OpenCache(cacheDirectory, console.LoggerFactory, s.SegmentSize))
        {
            var options = new FeaturizerOptions { LoggerFactory = console.LoggerFactory, Preprocessing = preprocessing, BadImagePolicy = s.SkipBadImages ? BadImagePolicy.Skip : BadImagePolicy.Fail, ExecutionProvider = provider };
            foreach (var view in new AugmentationView?[] { null }.Concat(AugmentationView.ForPolicy(policy)))
            {
                using var featurizer = new Featurizer(backbone, options with { View = view }, deferSession: true);
                var store = cache.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
                string name = view?.CanonicalKey() ?? "plain";
                var summary = await featurizer.FeaturizeAsync(mine, static (_, _) => { }, store, Progress(console, s.Json, name, shard), ct).ConfigureAwait(false);
                views.Add(new FeaturizedViewJson(name, store.Fingerprint, summary.CacheHits, summary.Computed));
                skipped.AddRange(view is null ? summary.Skipped.Select(k => new SkippedJson(k.Source, k.Reason)) : []);
            }
        }

        var result = new FeaturizeJson(
            cacheDirectory, backbone.Name, shard.ToString(), all.Count, mine.Count, views.Sum(v => v.CacheHits), views.Sum(v => v.Computed), clock.Elapsed.TotalSeconds,
            preprocessing.ResizeMode.ToString(), reason, preprocessing.ScaledDecode, views, skipped);
        if (s.Json)
        {
            Json.Write(console, result);
            return (int)ExitCode.Success;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Shard {shard}: {mine.Count} of {all.Count} images, {views.Count} view(s): {result.Computed} vectors computed, {result.CacheHits} already cached, in {result.Seconds:F1} s ({backbone.Name}, resize {preprocessing.ResizeMode}, {(preprocessing.ScaledDecode ? "scaled" : "full")} decode)."));
        foreach (var k in skipped)
        {
            console.WriteLine($"Skipped {k.Source}: {k.Reason}");
        }

        console.WriteLine($"Cache: {cacheDirectory}");
        return (int)ExitCode.Success;
    }

    private static ImageSet LoadInput(string input, string what) =>
        ManifestArguments.IsCsv(input) ? LoadManifest(input) : CliInputs.LoadImages(input, what);

    private static ImageSet LoadManifest(string path)
    {
        try
        {
            return ImageSet.FromManifest(path);
        }
        catch (DatasetException ex)
        {
            throw new CliException(ExitCode.NoImages, ex.Message, ex);
        }
    }

    private static (ImagePreprocessing Preprocessing, string? Reason) ChoosePreprocessing(string resize, ImageSet first, Backbone backbone)
    {
        if (CliInputs.ParseResize(resize) is { } chosen)
        {
            return (ImagePreprocessing.Default with { ResizeMode = chosen }, null);
        }

        // As 'train' chooses: from the training images, the same on every shard.
        var choice = PreprocessingChoice.For(first.Entries, backbone.Width, backbone.Height);
        return (choice.Preprocessing, choice.Reason);
    }

    /// <summary>The content hash that assigns an image to its shard; an unreadable file goes by its name, so exactly one shard reports it.</summary>
    private static ContentHash HashOf(ImageEntry entry)
    {
        try
        {
            return ContentHash.Compute(entry.ReadBytes().Span);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidImageException)
        {
            return ContentHash.Compute(System.Text.Encoding.UTF8.GetBytes(entry.Path ?? entry.Name));
        }
    }

    private static CallbackProgress<FeaturizationProgress>? Progress(CliConsole console, bool json, string view, ImageShard shard)
    {
        if (json)
        {
            return null;
        }

        int lastTenth = -1;
        return new CallbackProgress<FeaturizationProgress>(f =>
        {
            int tenth = f.Total == 0 ? 10 : f.Completed * 10 / f.Total;
            if (Interlocked.Exchange(ref lastTenth, tenth) != tenth)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Shard {shard} {view}: {f.Completed}/{f.Total} ({f.CacheHits} cached)"));
            }
        });
    }

    private sealed record Settings(string[] Inputs, string? Cache, string Backbone, string Shard, string Resize, string Augment, string? Decode, int SegmentSize, bool SkipBadImages, bool Json, ManifestArguments.Settings Manifest, string Device);
}
