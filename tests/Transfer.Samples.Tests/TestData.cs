namespace Transfer.Samples.Tests;

/// <summary>Where the repository, the embedded QuickStart images and the built samples are, found from the test's folder.</summary>
internal static class TestData
{
    public static string QuickStartTrain => RepositoryFiles.QuickStartTrain;

    public static string QuickStartTest => RepositoryFiles.QuickStartTest;

    /// <summary>Where test artifacts (screenshots) go: $TRANSFER_ARTIFACTS, or a temp folder.</summary>
    public static string ArtifactsDirectory
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable("TRANSFER_ARTIFACTS");
            string dir = string.IsNullOrWhiteSpace(configured) ? Path.Combine(Path.GetTempPath(), "transfer-artifacts") : configured;
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>The built sample's dll, in its own output folder (same configuration and framework as these tests).</summary>
    public static string SampleDll(string name)
    {
        // This assembly runs from tests/Transfer.Samples.Tests/bin/<configuration>/<framework>/.
        var frameworkDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = frameworkDir.Name;
        string configuration = frameworkDir.Parent!.Name;
        string dll = RepositoryFiles.Combine("samples", name, "bin", configuration, framework, name + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Sample {name} is not built at {dll}; build tests/Transfer.Samples.Tests (it references the samples).", dll);
    }

    /// <summary>A fresh temp folder.</summary>
    public static string NewTempDirectory(string prefix)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The first <paramref name="perClass"/> images of each class folder under <paramref name="root"/>, in name order.</summary>
    public static IReadOnlyList<(string Label, string Path)> FirstImages(string root, int perClass) =>
        Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.png").Order(StringComparer.Ordinal).Take(perClass).Select(f => (System.IO.Path.GetFileName(d), f)))
            .ToList();
}
