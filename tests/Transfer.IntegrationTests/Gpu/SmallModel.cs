using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.IntegrationTests.Gpu;

/// <summary>A model trained (CPU) on a few real QuickStart images, saved to a temp zip, plus a few test images.</summary>
public sealed class SmallModelFixture : IAsyncLifetime
{
    public TransferModel Model { get; private set; } = null!;

    public IReadOnlyList<ImageEntry> TestImages { get; private set; } = null!;

    public string ModelPath { get; } = Path.Combine(Path.GetTempPath(), $"transfer-ep-{Guid.NewGuid():N}.zip");

    public async Task InitializeAsync()
    {
        var train = ImageSet.FromDirectory(TestData.QuickStartTrain);
        var sample = ImageSet.FromEntries(train.Entries.Where((_, i) => i % 10 == 0), train.Classes);
        var test = ImageSet.FromDirectory(TestData.QuickStartTest);
        TestImages = test.Entries.Where((_, i) => i % 16 == 0).ToList();
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = null });
        var features = await featurizer.FeaturizeAsync(sample);
        var trainer = new MlNetHeadTrainer();
        var head = trainer.Train(features.Features, null, features.Classes);
        Model = TransferModel.Create(featurizer, head, trainer.Describe());
        Model.Save(ModelPath);
    }

    public Task DisposeAsync()
    {
        Model.Dispose();
        File.Delete(ModelPath);
        return Task.CompletedTask;
    }
}
