using System.Collections.Concurrent;
using System.Xml.Linq;

namespace Transfer.PackageTests;

/// <summary>
/// Packs Transfer.Scoring, Transfer.Core, Transfer.Pipelines and the Transfer.Cli tool (from this build, no rebuild) into a folder feed
/// in a temp folder, beside a nuget.config whose sources are that folder plus the feeds this machine restores from, and
/// whose packages folder is private to the test (so no stale Transfer package from an earlier run can be used); the
/// machine's packages folder is a read-only fallback, so ML.NET and ONNX Runtime are not downloaded again.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The version the test packs (so a consumer can never pick up another build's packages).</summary>
    public const string Version = "0.0.0-packagetest";

    /// <summary>The repository URL the test packs with (this clone may have no 'origin' remote); the project URL follows it.</summary>
    public const string RepositoryUrl = "https://git.example/transfer";

    public static readonly string[] Projects = ["Transfer.Scoring", "Transfer.Core", "Transfer.Pipelines", "Transfer.Cli"];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "transfer-package-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public string Feed => Path.Combine(Root, "feed");

    public static TimeSpan StepTimeout { get; } = TimeSpan.FromMinutes(8);

    private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _once = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="make"/> once per key for all the tests sharing this feed (a trained app several tests read).</summary>
    public async Task<T> OnceAsync<T>(string key, Func<Task<T>> make)
        where T : class =>
        (T)await _once.GetOrAdd(key, _ => new Lazy<Task<object>>(async () => await make().ConfigureAwait(false))).Value.ConfigureAwait(false);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        foreach (string project in Projects)
        {
            (await DotNet.RunAsync(
                RepositoryFiles.Root,
                ["pack", Path.Combine("src", project, project + ".csproj"), "--no-build", "--no-restore", "-c", Configuration, "-o", Feed, "-p:PackageVersion=" + Version, "-p:MinVerVersionOverride=" + Version, "-p:RepositoryUrl=" + RepositoryUrl + ".git"],
                StepTimeout).ConfigureAwait(false)).EnsureSuccess();
        }

        var sources = await MachineSourcesAsync().ConfigureAwait(false);
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var config = new XElement(
            "configuration",
            new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Path.Combine(Root, "packages")))),
            new XElement(
                "packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "transfer-local"), new XAttribute("value", Feed)),
                sources.Select((s, i) => new XElement("add", new XAttribute("key", "machine-" + i), new XAttribute("value", s)))),
            new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", globalPackages))));
        new XDocument(config).Save(Path.Combine(Root, "nuget.config"));
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: leave the temp folder, it is reported nowhere else.
        }

        return Task.CompletedTask;
    }

    /// <summary>The enabled package sources of this machine, as 'dotnet nuget list source' reports them for the repository.</summary>
    private static async Task<List<string>> MachineSourcesAsync()
    {
        var run = await DotNet.RunAsync(RepositoryFiles.Root, ["nuget", "list", "source", "--format", "Short"], TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        run.EnsureSuccess();
        var sources = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("E ", StringComparison.Ordinal))
            .Select(l => l[2..].Trim())
            .ToList();
        Assert.True(sources.Count > 0, "No enabled package source: " + run);
        return sources;
    }
}
