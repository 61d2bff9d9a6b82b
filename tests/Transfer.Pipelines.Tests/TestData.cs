using Transfer.Images;

namespace Transfer.Pipelines.Tests;

/// <summary>The embedded QuickStart images (real Fashion-MNIST PNGs), found from the test's folder upwards, and small subsets of them.</summary>
internal static class TestData
{
    public static string QuickStartTrain => RepositoryFiles.QuickStartTrain;

    public static string QuickStartTest => RepositoryFiles.QuickStartTest;

    /// <summary>Three easily told apart classes, so a few images per class train a head well above chance.</summary>
    public static readonly string[] Classes = ["Bag", "Sneaker", "Trouser"];

    /// <summary>The first <paramref name="perClass"/> files (ordinal order) of each of <see cref="Classes"/> under a QuickStart folder.</summary>
    public static List<(string Path, string Label)> Files(string root, int perClass, int skip = 0) =>
        Classes.SelectMany(c => Directory.GetFiles(Path.Combine(root, c), "*.png").Order(StringComparer.Ordinal).Skip(skip).Take(perClass).Select(p => (p, c))).ToList();

    public static ImageSet Set(string root, int perClass, int skip = 0) =>
        ImageSet.FromEntries(Files(root, perClass, skip).Select(f => ImageEntry.FromFile(f.Path, f.Label)));

    /// <summary>A temporary folder deleted on dispose.</summary>
    public static TempFolder Temp() => new();

    internal sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("transfer-pipelines-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, true);
            }
            catch (IOException)
            {
            }
        }
    }
}
