using System.CommandLine;
using System.Globalization;
using Transfer.Caching;
using Transfer.Cli.Output;
using Transfer.Images;

namespace Transfer.Cli.Commands;

/// <summary><c>transfer cache info|prune|clear|merge &lt;dir&gt;</c>: inspects, trims and merges bottleneck cache folders.</summary>
internal static class CacheCommand
{
    // The marker every cache folder holds (src/Transfer.Core/Caching/FORMAT.md); without it the folder is not a cache,
    // and prune/clear must not touch it.
    private const string MarkerFile = "transfer-cache.json";

    public static Command Create(CliConsole console)
    {
        var command = new Command("cache", "Inspect, prune, clear or merge bottleneck cache folders.");
        command.Subcommands.Add(CreateInfo(console));
        command.Subcommands.Add(CreatePrune(console));
        command.Subcommands.Add(CreateClear(console));
        command.Subcommands.Add(CreateMerge(console));
        return command;
    }

    private static Command CreateInfo(CliConsole console)
    {
        var dir = DirArgument();
        var json = JsonOption();
        var command = new Command("info", "Show what a cache holds: vectors, segments and bytes per backbone/preprocessing fingerprint.") { dir, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Info(console, parse.GetValue(dir)!, parse.GetValue(json)))));
        return command;
    }

    private static Command CreatePrune(CliConsole console)
    {
        var dir = DirArgument();
        var keep = new Option<string[]>("--keep")
        {
            Description = "Image folders whose images stay cached (repeatable). Default: the folder holding <dir> when <dir> is named .bottlenecks.",
            AllowMultipleArgumentsPerToken = false,
        };
        var json = JsonOption();
        var command = new Command("prune", "Remove the vectors of images that are gone, and quarantined or stale temporary files.") { dir, keep, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Prune(console, parse.GetValue(dir)!, parse.GetValue(keep) ?? [], parse.GetValue(json), ct))));
        return command;
    }

    private static Command CreateClear(CliConsole console)
    {
        var dir = DirArgument();
        var json = JsonOption();
        var command = new Command("clear", "Delete every cached vector (the folder stays a usable, empty cache).") { dir, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Clear(console, parse.GetValue(dir)!, parse.GetValue(json)))));
        return command;
    }

    private static Command CreateMerge(CliConsole console)
    {
        var source = new Argument<string>("source") { Description = "The cache folder to merge from (e.g. one shard's); only read." };
        var destination = new Argument<string>("destination") { Description = "The cache folder to merge into; created when missing." };
        var json = JsonOption();
        var command = new Command("merge", "Add the vectors of one cache folder that another lacks (idempotent; damaged source segments are refused and left in place).") { source, destination, json };
        command.SetAction((parse, ct) => CliApp.GuardAsync(console, () => Task.FromResult(Merge(console, parse.GetValue(source)!, parse.GetValue(destination)!, parse.GetValue(json), ct))));
        return command;
    }

    private static int Merge(CliConsole console, string source, string destination, bool json, CancellationToken ct)
    {
        using var from = OpenExisting(source); // checks the source is a cache; the merge itself only reads its files
        string to = Path.GetFullPath(destination);
        if (string.Equals(Path.TrimEndingDirectorySeparator(from.Directory), Path.TrimEndingDirectorySeparator(to), StringComparison.Ordinal))
        {
            throw new CliException(ExitCode.Usage, $"cache merge: source and destination are the same folder \"{source}\"; pass two cache folders.");
        }

        CacheMergeResult result;
        try
        {
            using var cache = BottleneckCache.Open(to);
            result = cache.Merge(from.Directory, ct);
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCode.BadCache, $"Cannot merge \"{source}\" into \"{destination}\": {ex.Message}", ex);
        }

        if (json)
        {
            Json.Write(console, new MergeJson(from.Directory, to, result.SegmentsRead, result.VectorsAdded, result.VectorsPresent, result.DamagedSegments));
        }
        else
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Merged {from.Directory} into {to}: {result.VectorsAdded} vectors added, {result.VectorsPresent} already there, from {result.SegmentsRead} segments."));
        }

        if (result.DamagedSegments.Count > 0)
        {
            throw new CliException(ExitCode.BadCache, $"{result.DamagedSegments.Count} damaged segment(s) of \"{source}\" were refused and left in place (first: {result.DamagedSegments[0]}); everything else was merged. Rerun 'transfer featurize' for that shard to recompute their vectors, then merge again.");
        }

        return (int)ExitCode.Success;
    }

    private static Argument<string> DirArgument() => new("dir") { Description = "The cache folder (by default .bottlenecks inside the image folder)." };

    private static Option<bool> JsonOption() => new("--json") { Description = "Write the result as JSON." };

    private static int Info(CliConsole console, string dir, bool json)
    {
        using var cache = OpenExisting(dir);
        var inspection = Inspect(cache, dir);
        long vectors = inspection.Fingerprints.Sum(f => f.Vectors);
        if (json)
        {
            Json.Write(console, new CacheInfoJson(
                inspection.Directory, inspection.BytesOnDisk, inspection.Segments, inspection.QuarantinedSegments, inspection.TemporaryFiles, vectors,
                inspection.Fingerprints.Select(f => new FingerprintJson(f.Fingerprint, f.Dimension, f.Vectors, f.Segments, f.UnreadableSegments, f.BytesOnDisk)).ToList()));
            return (int)ExitCode.Success;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Cache {inspection.Directory}: {vectors} vectors in {inspection.Segments} segments, {Size(inspection.BytesOnDisk)} on disk, {inspection.QuarantinedSegments} quarantined segments, {inspection.TemporaryFiles} temporary files."));
        if (inspection.Fingerprints.Count > 0)
        {
            console.WriteTable(
                ["fingerprint", "dimension", "vectors", "segments", "unreadable", "size"],
                inspection.Fingerprints.Select(f => (IReadOnlyList<string>)[
                    f.Fingerprint ?? "(unreadable)", I(f.Dimension), I(f.Vectors), I(f.Segments), I(f.UnreadableSegments), Size(f.BytesOnDisk)]),
                1, 2, 3, 4, 5);
        }

        return (int)ExitCode.Success;
    }

    private static int Prune(CliConsole console, string dir, string[] keep, bool json, CancellationToken ct)
    {
        using var cache = OpenExisting(dir);
        var folders = keep.ToList();
        if (folders.Count == 0)
        {
            var full = new DirectoryInfo(Path.GetFullPath(dir));
            if (!string.Equals(full.Name, BottleneckCache.DefaultDirectoryName, StringComparison.Ordinal) || full.Parent is null)
            {
                throw new CliException(ExitCode.Usage, $"Say which images to keep: --keep <image folder> (cache \"{dir}\" is not named {BottleneckCache.DefaultDirectoryName}, so its image folder is unknown).");
            }

            folders.Add(full.Parent.FullName);
        }

        var hashes = new HashSet<ContentHash>();
        foreach (string folder in folders)
        {
            string root = CliInputs.RequireDirectory(folder, "Image folder (--keep)");
            foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                ct.ThrowIfCancellationRequested();
                if (ImageSetOptions.DefaultExtensions.Contains(Path.GetExtension(file).ToLowerInvariant(), StringComparer.Ordinal))
                {
                    hashes.Add(ContentHash.ComputeFile(file));
                }
            }
        }

        PruneResult result;
        try
        {
            result = cache.Prune(hashes);
        }
        catch (IOException ex)
        {
            throw new CliException(ExitCode.BadCache, $"Cannot prune cache \"{dir}\": {ex.Message}", ex);
        }

        if (json)
        {
            Json.Write(console, new PruneJson(cache.Directory, hashes.Count, result.VectorsRemoved, result.VectorsKept, result.SegmentsDeleted, result.SegmentsRewritten, result.FilesRemoved, result.BytesFreed));
        }
        else
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Pruned {cache.Directory} keeping the {hashes.Count} images of {string.Join(", ", folders)}: removed {result.VectorsRemoved} vectors, kept {result.VectorsKept}; {result.SegmentsDeleted} segments deleted, {result.SegmentsRewritten} rewritten, {result.FilesRemoved} other files removed; {Size(result.BytesFreed)} freed."));
        }

        return (int)ExitCode.Success;
    }

    private static int Clear(CliConsole console, string dir, bool json)
    {
        using var cache = OpenExisting(dir);
        int files;
        try
        {
            files = cache.Clear();
        }
        catch (IOException ex)
        {
            throw new CliException(ExitCode.BadCache, $"Cannot clear cache \"{dir}\": {ex.Message}", ex);
        }

        if (json)
        {
            Json.Write(console, new ClearJson(cache.Directory, files));
        }
        else
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Cleared {cache.Directory}: {files} files deleted."));
        }

        return (int)ExitCode.Success;
    }

    private static BottleneckCache OpenExisting(string dir)
    {
        string full = CliInputs.RequireDirectory(dir, "Cache folder");
        if (!File.Exists(Path.Combine(full, MarkerFile)))
        {
            throw new CliException(ExitCode.BadCache, $"\"{dir}\" is not a bottleneck cache (it has no {MarkerFile}). Pass the cache folder, e.g. <image folder>/{BottleneckCache.DefaultDirectoryName}.");
        }

        try
        {
            return BottleneckCache.Open(full);
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliException(ExitCode.BadCache, $"Cannot open cache \"{dir}\": {ex.Message}", ex);
        }
    }

    private static CacheInspection Inspect(BottleneckCache cache, string dir)
    {
        try
        {
            return cache.Inspect();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCode.BadCache, $"Cannot read cache \"{dir}\": {ex.Message}", ex);
        }
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB"),
    };
}
