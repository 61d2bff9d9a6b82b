namespace Transfer.IntegrationTests;

/// <summary>Where the embedded QuickStart images live, found from the test's folder upwards.</summary>
internal static class TestData
{
    public static string RepoRoot { get; } = FindRoot();

    public static string QuickStartTrain => Path.Combine(RepoRoot, "samples", "QuickStart", "data", "train");

    public static string QuickStartTest => Path.Combine(RepoRoot, "samples", "QuickStart", "data", "test");

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
