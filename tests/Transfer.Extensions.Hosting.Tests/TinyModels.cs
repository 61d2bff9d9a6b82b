using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;
using Transfer.Testing;

namespace Transfer.Hosting.Tests;

/// <summary>Small real models (tiny backbone, maximum-entropy head) saved as zips, to serve and swap.</summary>
internal static class TinyModels
{
    public static ImageSet Images(int classes) => SyntheticImages.InMemory(new SyntheticImageOptions
    {
        ImagesPerClass = 4,
        Classes = [.. SyntheticImageOptions.DefaultClasses.Take(classes)],
    });

    /// <summary>Trains on the first <paramref name="classes"/> synthetic classes and saves the zip to <paramref name="path"/> (atomically).</summary>
    public static void Save(string path, int classes)
    {
        var images = Images(classes);
        using var featurizer = new Featurizer(TinyBackbone.Default, new FeaturizerOptions { OptimizedGraphDirectory = null });
        var features = featurizer.FeaturizeAsync(images).GetAwaiter().GetResult();
        var trainer = new MaximumEntropyHeadTrainer();
        var head = trainer.Train(features.Features, null, features.Classes);
        using var model = TransferModel.Create(featurizer, head, trainer.Describe());
        model.Save(path);
    }

    public static byte[] Png(int classes) => SyntheticImages.Draw(SyntheticImageOptions.DefaultClasses[classes - 1], 0);
}

/// <summary>A fresh folder under the temp directory, deleted with its files.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("transfer-hosting-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held for a moment: the OS temp cleaner takes it.
        }
    }
}
