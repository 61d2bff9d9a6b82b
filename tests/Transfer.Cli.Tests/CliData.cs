namespace Transfer.Cli.Tests;

/// <summary>
/// A small copy of the embedded QuickStart images (3 classes × 6 train, × 3 test; the real ResNet18 featurizes about
/// 30 images/s) in a temp folder, a model trained on it once by the real <c>transfer train</c>, and its bottleneck cache.
/// </summary>
public sealed class CliData : IAsyncLifetime
{
    public static readonly string[] Classes = ["Bag", "Sneaker", "Trouser"];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "transfer-cli-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public string Train => Path.Combine(Root, "train");

    public string Test => Path.Combine(Root, "test");

    public string Cache => Path.Combine(Root, "cache");

    public string Model => Path.Combine(Root, "model.zip");

    public string TrainOutput { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        string data = RepositoryFiles.Combine("samples", "QuickStart", "data");
        foreach (string c in Classes)
        {
            CopyFirst(Path.Combine(data, "train", c), Path.Combine(Train, c), 6);
            CopyFirst(Path.Combine(data, "test", c), Path.Combine(Test, c), 3);
        }

        var run = await CliRunner.RunAsync("train", Train, "--out", Model, "--test", Test, "--cache", Cache, "--seed", "7");
        Assert.True(run.ExitCode == 0, run.ToString());
        TrainOutput = run.Out;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Makes a fresh folder under the test root.</summary>
    public string NewFolder(string name)
    {
        string path = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Copies a folder tree.</summary>
    public static void CopyTree(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    private static void CopyFirst(string from, string to, int count)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*.png").Order(StringComparer.Ordinal).Take(count))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CliTestGroup : ICollectionFixture<CliData>
{
    public const string Name = "cli";
}
