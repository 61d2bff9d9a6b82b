using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.ReliabilityTests;

/// <summary>The embedded QuickStart images (found from the test's folder upwards) and small sets made from them.</summary>
internal static class TestData
{
    public static string QuickStartTrain => RepositoryFiles.QuickStartTrain;

    public static string QuickStartTest => RepositoryFiles.QuickStartTest;

    /// <summary>The first <paramref name="perClass"/> training PNGs of each class, in file-name order.</summary>
    public static IReadOnlyList<string> Images(string split, string label, int perClass) =>
        Directory.GetFiles(Path.Combine(split == "test" ? QuickStartTest : QuickStartTrain, label)).Order(StringComparer.Ordinal).Take(perClass).ToList();

    /// <summary>Copies <paramref name="perClass"/> images of each class into <c>root/class/</c>.</summary>
    public static void CopyClasses(string root, int perClass, params string[] labels)
    {
        foreach (string label in labels)
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            foreach (string file in Images("train", label, perClass))
            {
                File.Copy(file, Path.Combine(root, label, Path.GetFileName(file)));
            }
        }
    }

    /// <summary>Trains a small real model: ResNet18 features of 3 classes × 12 images, L-BFGS head.</summary>
    public static async Task<TransferModel> TrainSmallModelAsync(CancellationToken cancellationToken = default)
    {
        var entries = new[] { "Bag", "Sneaker", "Trouser" }
            .SelectMany(label => Images("train", label, 12).Select(f => ImageEntry.FromFile(f, label)))
            .ToList();
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        var features = await featurizer.FeaturizeAsync(ImageSet.FromEntries(entries), cancellationToken: cancellationToken);
        var head = new MlNetHeadTrainer();
        var trained = head.Train(features.Features, null, features.Classes, cancellationToken);
        return TransferModel.Create(featurizer, trained, head.Describe());
    }
}

/// <summary>One small trained model shared by a test class, saved once.</summary>
public sealed class SmallModelFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("transfer-rel-model-").FullName;

    public TransferModel Model { get; private set; } = null!;

    public string ModelPath => Path.Combine(_dir, "small.zip");

    public async Task InitializeAsync()
    {
        Model = await TestData.TrainSmallModelAsync();
        Model.Save(ModelPath);
    }

    public Task DisposeAsync()
    {
        Model.Dispose();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }
}
