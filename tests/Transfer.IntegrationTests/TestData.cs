namespace Transfer.IntegrationTests;

/// <summary>Where the embedded QuickStart images live (<see cref="RepositoryFiles"/>).</summary>
internal static class TestData
{
    public static string QuickStartTrain => RepositoryFiles.QuickStartTrain;

    public static string QuickStartTest => RepositoryFiles.QuickStartTest;
}
