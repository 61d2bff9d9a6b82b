namespace Transfer.Tests;

/// <summary>
/// This repository's files, found from the test's output folder upwards: the root is the nearest folder holding
/// Transfer.sln. Every test project that reads the repository compiles this one file (a <c>Compile</c> link in its
/// csproj) instead of shipping it in the Transfer.Testing package, whose users' repositories have no Transfer.sln.
/// </summary>
internal static class RepositoryFiles
{
    /// <summary>Gets the repository root, found once per test process.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Gets the embedded QuickStart training images (10 Fashion-MNIST classes × 50 PNGs).</summary>
    public static string QuickStartTrain => Combine("samples", "QuickStart", "data", "train");

    /// <summary>Gets the embedded QuickStart test images (10 classes × 20 PNGs).</summary>
    public static string QuickStartTest => Combine("samples", "QuickStart", "data", "test");

    /// <summary>A path under the repository root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Transfer.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Transfer.sln not found above {AppContext.BaseDirectory}.");
    }
}
