using Transfer.Featurization;
using Transfer.FineTuning;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Core.Tests.FineTuning;

/// <summary>The fine-tuning loop on a small ResNet and synthetic images: epochs, determinism, cancellation, cached activations, the guard.</summary>
public sealed class FineTunerTests
{
    private static readonly ImageSet Images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 10, Width = 24, Height = 24 });

    private static FineTuneOptions Options(Action<FineTuneOptions>? change = null)
    {
        var options = new FineTuneOptions
        {
            Epochs = 3,
            BatchSize = 8,
            ValidationFraction = 0.2,
            KeepFrozenUnlessBetter = false,
            EarlyStopping = new EarlyStopping { Patience = 3 },
            Threads = 1,
            BackboneLearningRate = 1e-3,
            HeadLearningRate = 1e-2,
        };
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task TuneAsync_SyntheticImages_TrainsEveryEpochAndReturnsATunedBackbone()
    {
        var progress = new List<FineTuneProgress>();
        var result = await new FineTuner(Options()).TuneAsync(TinyResNet.MultiStage, Images, progress: new Collect<FineTuneProgress>(progress));

        Assert.Equal(3, result.History.Epochs.Count);
        Assert.InRange(result.History.BestEpoch, 1, 3);
        Assert.Equal("TinyResNet-MS-ft", result.Backbone.Name);
        Assert.Equal(TinyResNet.MultiStage.FeatureLength, result.Head.FeatureLength);
        Assert.Equal(Images.Classes, result.Head.Classes);
        Assert.Equal((24, 6), (result.Summary.TrainImages, result.Summary.ValidationImages));
        Assert.False(result.Summary.KeptFrozen);
        Assert.True(result.Summary.ImagesPerSecond > 0);
        Assert.Contains(progress, p => p.Stage == FineTuneStage.Caching && p.Featurization is not null);
        Assert.Contains(progress, p => p.Stage == FineTuneStage.WarmStart);
        Assert.Equal(3, progress.Count(p => p.Completed is not null));
        Assert.Equal(3 * 3, progress.Count(p => p.Stage == FineTuneStage.Training && p.Completed is null)); // 24 images, batches of 8
    }

    [Fact]
    public async Task TuneAsync_SameSeed_GivesTheSameWeights()
    {
        var options = Options(o => o.MirroredViews = true);
        var first = await new FineTuner(options).TuneAsync(TinyResNet.MultiStage, Images);
        var second = await new FineTuner(options).TuneAsync(TinyResNet.MultiStage, Images);

        Assert.Equal(first.Backbone.Fingerprint, second.Backbone.Fingerprint);
        Assert.Equal(first.History.Epochs.Select(e => e.TrainCrossEntropy), second.History.Epochs.Select(e => e.TrainCrossEntropy));
        Assert.Equal(first.Head.PredictProbabilities(Features()), second.Head.PredictProbabilities(Features()));
    }

    [Fact]
    public async Task TuneAsync_CancelledDuringAnEpoch_StopsBeforeTheNextBatch()
    {
        using var cts = new CancellationTokenSource();
        var seen = new List<FineTuneProgress>();
        var progress = new Collect<FineTuneProgress>(seen, p =>
        {
            if (p is { Stage: FineTuneStage.Training, Epoch: 1, Batch: 1 })
            {
                cts.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FineTuner(Options()).TuneAsync(TinyResNet.MultiStage, Images, progress: progress, cancellationToken: cts.Token));
        Assert.Equal(1, seen.Count(p => p.Stage == FineTuneStage.Training));
    }

    [Fact]
    public async Task TuneAsync_WithStores_SecondRunComputesNoActivation()
    {
        var stores = new Dictionary<string, MemoryStore>();
        IFeatureStore Store(string key, int length) => stores.TryGetValue(key, out var s) ? s : stores[key] = new MemoryStore();
        var options = Options(o => (o.Epochs, o.MirroredViews) = (1, true));
        var first = await new FineTuner(options).TuneAsync(TinyResNet.MultiStage, Images, activationStores: Store);
        int added = stores.Values.Sum(s => s.Added);
        var second = await new FineTuner(options).TuneAsync(TinyResNet.MultiStage, Images, activationStores: Store);

        Assert.Equal(2, stores.Count); // the image and its mirror, each a feature space of its own
        Assert.Equal(2 * Images.Count, added);
        Assert.Equal(added, stores.Values.Sum(s => s.Added));
        Assert.Equal(first.Backbone.Fingerprint, second.Backbone.Fingerprint);
    }

    [Fact]
    public async Task TuneAsync_TuningDoesNotHelp_KeepsTheFrozenBackbone()
    {
        // Rates far too high: the first tuned epoch is worse than the warm-started head on the frozen features.
        var options = Options(o => (o.KeepFrozenUnlessBetter, o.Optimizer, o.BackboneLearningRate, o.HeadLearningRate, o.Epochs, o.EarlyStopping.Patience) = (true, NeuralOptimizer.Sgd, 50, 50, 2, 1));
        var result = await new FineTuner(options).TuneAsync(TinyResNet.MultiStage, Images);

        Assert.True(result.Summary.KeptFrozen);
        Assert.Same(TinyResNet.MultiStage, result.Backbone);
        Assert.Equal(0, result.History.BestEpoch);
        Assert.False(result.Summary.TunedValidationLoss < result.Summary.FrozenValidationLoss, $"tuned {result.Summary.TunedValidationLoss}, frozen {result.Summary.FrozenValidationLoss}");
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem()
    {
        var options = new FineTuneOptions { Epochs = 0, BatchSize = 0, BackboneLearningRate = -1, HeadLearningRate = double.NaN, ValidationFraction = 0.9, WeightDecay = -1, Momentum = 1, Threads = 0, WarmStartL2 = -2, EarlyStopping = new EarlyStopping { Patience = 0 }, Layers = (TunedLayers)5 };

        var e = Assert.Throws<OptionsValidationException>(() => new FineTuner(options));

        Assert.Equal(
            [
                "Layers must be LastStage or LastBlock, was 5.",
                "Epochs must be at least 1, was 0.",
                "BatchSize must be 1 to 256, was 0.",
                "BackboneLearningRate must be positive and finite, was -1.",
                "HeadLearningRate must be positive and finite, was NaN.",
                "Momentum must be in [0, 1), was 1.",
                "WeightDecay must be zero or positive, was -1.",
                "ValidationFraction must be in (0, 0.5], was 0.9: fine-tuning chooses its best epoch, and whether to keep it, on held-out images.",
                "EarlyStopping.Patience must be at least 1, was 0.",
                "WarmStartL2 must be zero or positive, was -2.",
                $"Threads must be at least 1 or null (all {Environment.ProcessorCount} processors), was 0.",
            ],
            e.Problems);
        Assert.StartsWith("Invalid FineTuneOptions / Validation Errors:", e.Message);
    }

    [Fact]
    public async Task TuneAsync_OneImageInAClass_ThrowsNamingTheClass()
    {
        var entries = Images.Entries.Where(e => e.Label != "square").Concat(Images.Entries.Where(e => e.Label == "square").Take(1)).ToList();
        var images = ImageSet.FromEntries(entries, Images.Classes);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => new FineTuner(Options()).TuneAsync(TinyResNet.MultiStage, images));
        Assert.Equal("Fine-tuning holds out images of every class to choose its epoch, so each class needs at least two usable images; \"square\" has 1. Add images, or train the head alone.", e.Message);
    }

    private static FeatureMatrix Features()
    {
        using var featurizer = new Featurizer(TinyResNet.MultiStage);
        return featurizer.FeaturizeAsync(Images).GetAwaiter().GetResult().Features;
    }

    private sealed class Collect<T>(List<T> list, Action<T>? also = null) : IProgress<T>
    {
        public void Report(T value)
        {
            lock (list)
            {
                list.Add(value);
            }

            also?.Invoke(value);
        }
    }

    /// <summary>A feature store in memory that counts what is added.</summary>
    private sealed class MemoryStore : IFeatureStore
    {
        private readonly Dictionary<ContentHash, float[]> _rows = [];

        public int Added { get; private set; }

        public IReadOnlyList<int> Lookup(ReadOnlySpan<ContentHash> keys, Span<float> destination)
        {
            var missing = new List<int>();
            for (int i = 0; i < keys.Length; i++)
            {
                if (_rows.TryGetValue(keys[i], out var row))
                {
                    row.CopyTo(destination.Slice(i * row.Length, row.Length));
                }
                else
                {
                    missing.Add(i);
                }
            }

            return missing;
        }

        public void Add(ContentHash key, ReadOnlySpan<float> features)
        {
            _rows[key] = features.ToArray();
            Added++;
        }

        public void Flush()
        {
        }
    }
}
