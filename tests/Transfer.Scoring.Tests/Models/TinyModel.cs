using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;
using Transfer.Testing;

namespace Transfer.Scoring.Tests.Models;

/// <summary>A model trained once per test class on synthetic images with the tiny backbone (milliseconds), to score.</summary>
public sealed class TinyModel : IDisposable
{
    public TinyModel()
    {
        Images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 6 });
        using var featurizer = new Featurizer(TinyBackbone.Default, new FeaturizerOptions { OptimizedGraphDirectory = null });
        var features = featurizer.FeaturizeAsync(Images).GetAwaiter().GetResult();
        var trainer = new MaximumEntropyHeadTrainer();
        Head = trainer.Train(features.Features, null, features.Classes);
        Model = TransferModel.Create(featurizer, Head, trainer.Describe());
    }

    public ImageSet Images { get; }

    public TrainedHead Head { get; }

    public TransferModel Model { get; }

    public void Dispose() => Model.Dispose();
}
