using Transfer.Featurization;
using Transfer.Heads.Neural;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.Neural;

public class NeuralHeadTrainingTests
{
    private static readonly FeatureMatrix Train = SyntheticFeatures.Blobs(1200, 24, 4, seed: 7, spread: 2.0);
    private static readonly FeatureMatrix Test = SyntheticFeatures.Blobs(600, 24, 4, seed: 7, spread: 2.0, noiseSeed: 8);

    private static NeuralHeadOptions Quick() => new() { Epochs = 8, BatchSize = 32, LearningRate = 0.01, Seed = 5 };

    [Fact]
    public void SoftmaxHead_Blobs_LearnsAndBeatsChance()
    {
        TrainedNeuralHead trained = new SoftmaxHead(Quick()).TrainedOn(Train);
        double accuracy = SyntheticFeatures.Accuracy(trained, Test);
        Assert.True(accuracy > 0.9, $"held-out accuracy {accuracy}; history:\n{trained.History.ToCsv()}");
        Assert.Empty(trained.HiddenLayers);
        Assert.Equal(24, trained.FeatureDimension);
        Assert.Equal(4, trained.ClassCount);
    }

    [Fact]
    public void MlpHead_Rings_BeatsSoftmaxHeadOnNonLinearData()
    {
        FeatureMatrix rings = SyntheticFeatures.Rings(1500, 3, seed: 1);
        var options = new NeuralHeadOptions { Epochs = 40, HiddenLayers = [32], Dropout = 0, LearningRate = 0.01, Seed = 2 };
        double mlp = SyntheticFeatures.Accuracy(new MlpHead(options).TrainedOn(rings), rings);
        double softmax = SyntheticFeatures.Accuracy(new SoftmaxHead(options).TrainedOn(rings), rings);
        Assert.True(mlp > 0.9, $"MLP accuracy {mlp}");
        Assert.True(softmax < 0.6, $"softmax accuracy {softmax}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Train_SameSeed_IsBitReproducibleWhateverTheThreadCount(bool mlp)
    {
        // Wide enough that batches are really split across threads (small products run on one thread).
        FeatureMatrix wide = SyntheticFeatures.Blobs(512, 256, 4, seed: 8, spread: 2.0);
        NeuralHeadOptions Options(int threads) => new()
        {
            Epochs = 3, HiddenLayers = [64, 8], Dropout = 0.3, LabelSmoothing = 0.1, WeightDecay = 0.01,
            Optimizer = NeuralOptimizer.AdamW, Seed = 9, MaxDegreeOfParallelism = threads, BatchSize = 64,
        };
        NeuralHead Head(int threads) => mlp ? new MlpHead(Options(threads)) : new SoftmaxHead(Options(threads));

        float[] first = Head(2).TrainedOn(wide).Network.Parameters;
        float[] second = Head(2).TrainedOn(wide).Network.Parameters;
        float[] single = Head(1).TrainedOn(wide).Network.Parameters;
        Assert.Equal(first, second);
        Assert.Equal(first, single);

        var other = Options(2);
        other.Seed = 10;
        float[] reseeded = (mlp ? (NeuralHead)new MlpHead(other) : new SoftmaxHead(other)).TrainedOn(wide).Network.Parameters;
        Assert.NotEqual(first, reseeded);
    }

    [Theory]
    [InlineData(NeuralOptimizer.Sgd, 0.05)]
    [InlineData(NeuralOptimizer.Adam, 1e-3)]
    [InlineData(NeuralOptimizer.AdamW, 1e-3)]
    public void Train_EachOptimizer_LearnsTheBlobs(NeuralOptimizer optimizer, double rate)
    {
        var history = new NeuralHeadOptions { Epochs = 5, Optimizer = optimizer, LearningRate = rate, WeightDecay = 1e-3, EarlyStopping = null, Seed = 1 };
        TrainedNeuralHead trained = new MlpHead(history).TrainedOn(Train, Test);
        IReadOnlyList<EpochMetrics> epochs = trained.History.Epochs;
        Assert.Equal(5, epochs.Count);
        Assert.True(epochs[^1].TrainCrossEntropy < epochs[0].TrainCrossEntropy * 0.9, $"{epochs[0]} → {epochs[^1]}");
        Assert.True(epochs[^1].ValidationCrossEntropy < 0.5, epochs[^1].ToString());
        Assert.True(epochs[^1].ValidationAccuracy > 0.85, epochs[^1].ToString());
    }

    [Fact]
    public void Train_EarlyStopping_StopsAndRestoresTheBestEpoch()
    {
        // Few noisy rows, many features, a high rate and no regularisation: validation loss bottoms out early, then rises.
        FeatureMatrix small = SyntheticFeatures.Blobs(60, 64, 3, seed: 3, spread: 4.0);
        FeatureMatrix validation = SyntheticFeatures.Blobs(300, 64, 3, seed: 3, spread: 4.0, noiseSeed: 33);
        var options = new NeuralHeadOptions
        {
            Epochs = 60, LearningRate = 0.01, Dropout = 0, BatchSize = 8, Seed = 4, HiddenLayers = [64],
            EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationLoss, Patience = 3 },
        };
        TrainedNeuralHead trained = new MlpHead(options).TrainedOn(small, validation);
        TrainingHistory history = trained.History;

        Assert.True(history.StoppedEarly);
        Assert.True(history.Epochs.Count < 60);
        int best = 1;
        for (int e = 1; e <= history.Epochs.Count; e++)
        {
            if (history.Epochs[e - 1].ValidationCrossEntropy < history.Epochs[best - 1].ValidationCrossEntropy)
            {
                best = e;
            }
        }

        Assert.Equal(best, history.BestEpoch);
        Assert.Equal(history.Epochs.Count, best + 3);
        double restored = SyntheticFeatures.CrossEntropy(trained, validation);
        Assert.Equal(history.Epochs[best - 1].ValidationCrossEntropy!.Value, restored, 4);
        Assert.NotEqual(history.Epochs[^1].ValidationCrossEntropy!.Value, restored, 3);
    }

    [Fact]
    public void Train_EarlyStoppingOnAccuracyWithMinDelta_NeedsARealImprovement()
    {
        var options = new NeuralHeadOptions
        {
            Epochs = 30, Seed = 1, EarlyStopping = new EarlyStopping { Metric = EarlyStoppingMetric.ValidationAccuracy, Patience = 2, MinDelta = 0.5 },
        };

        // No epoch can beat the first by 0.5 once it is above 0.5 accuracy, so training stops after 1 + patience epochs.
        TrainedNeuralHead trained = new SoftmaxHead(options).TrainedOn(Train, Test);
        Assert.Equal(3, trained.History.Epochs.Count);
        Assert.Equal(1, trained.BestEpoch);
    }

    [Fact]
    public void Train_NoValidationAndNoFraction_ThrowsAndSaysHowToFix()
    {
        var head = new SoftmaxHead(new NeuralHeadOptions { ValidationFraction = 0 });
        var error = Assert.Throws<OptionsValidationException>(() => head.TrainedOn(Train));
        Assert.Equal(
            "Invalid NeuralHeadOptions or training data / Validation Errors:" + Environment.NewLine + "- No validation data: pass a validation set to Train, set ValidationFraction above 0 (e.g. 0.1), or set AllowNoValidation = true to train without early stopping and keep the last epoch.",
            error.Message);
    }

    [Fact]
    public void Train_AllowNoValidation_RunsEveryEpochWithoutValidationMetrics()
    {
        var head = new SoftmaxHead(new NeuralHeadOptions { Epochs = 3, ValidationFraction = 0, AllowNoValidation = true });
        TrainedNeuralHead trained = head.TrainedOn(Train);
        Assert.Equal(3, trained.History.Epochs.Count);
        Assert.All(trained.History.Epochs, e => Assert.Null(e.ValidationAccuracy));
        Assert.Equal(3, trained.BestEpoch);
        Assert.False(trained.History.StoppedEarly);
    }

    [Fact]
    public void Train_ValidationFraction_HoldsOutAStratifiedSeededSubset()
    {
        FeatureMatrix data = SyntheticFeatures.Blobs(1000, 4, 4, seed: 1, classShares: [0.7, 0.2, 0.05, 0.05]);
        (FeatureMatrix train, FeatureMatrix validation) = StratifiedSplit.Split(data, 0.2, seed: 3);
        Assert.Equal(1000, train.Count + validation.Count);
        for (int c = 0; c < 4; c++)
        {
            int total = data.Labels.Count(l => l == c);
            Assert.Equal((int)Math.Round(total * 0.2, MidpointRounding.AwayFromZero), validation.Labels.Count(l => l == c));
        }

        (_, FeatureMatrix again) = StratifiedSplit.Split(data, 0.2, seed: 3);
        (_, FeatureMatrix reseeded) = StratifiedSplit.Split(data, 0.2, seed: 4);
        Assert.Equal(validation.Values, again.Values);
        Assert.NotEqual(validation.Values, reseeded.Values);

        var reports = new List<EpochMetrics>();
        new SoftmaxHead(new NeuralHeadOptions { Epochs = 1, ValidationFraction = 0.2, Seed = 3, EpochCompleted = reports.Add }).TrainedOn(data);
        Assert.NotNull(reports[0].ValidationAccuracy);
    }

    [Fact]
    public void Train_ReportsEveryEpochToProgressAndCallback_AndHistoryWritesCsv()
    {
        var callback = new List<EpochMetrics>();
        var progress = new ImmediateProgress();
        var options = new NeuralHeadOptions { Epochs = 4, EarlyStopping = null, EpochCompleted = callback.Add, Schedule = new ExponentialDecaySchedule { EpochsPerDecay = 1, DecayRate = 0.5 } };
        TrainedNeuralHead trained = new SoftmaxHead(options).TrainedOn(Train, Test, progress);

        Assert.Equal([1, 2, 3, 4], progress.Reports.Select(m => m.Epoch));
        Assert.Equal(callback, progress.Reports);
        Assert.Equal(callback, trained.History.Epochs);
        Assert.All(callback, m => Assert.Equal(38, m.Batches));
        Assert.Equal(1e-3 * 0.125, callback[3].LearningRate, 12);
        Assert.All(callback, m => Assert.InRange(m.TrainAccuracy, 0.0, 1.0));
        string[] csv = trained.History.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, csv.Length);
        Assert.StartsWith("epoch,batches,train_accuracy", csv[0], StringComparison.Ordinal);
        Assert.StartsWith("4,38,", csv[4], StringComparison.Ordinal);
    }

    [Fact]
    public void Train_Cancelled_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.Throws<OperationCanceledException>(() => new SoftmaxHead().TrainedOn(Train, Test, cancellationToken: cancellation.Token));
    }

    [Fact]
    public void BalancedClassWeights_AreSamplesOverClassesTimesClassCount_AndRaiseMinorityRecall()
    {
        FeatureMatrix skewed = SyntheticFeatures.Blobs(2000, 8, 2, seed: 12, spread: 6.0, classShares: [0.95, 0.05]);
        int minority = skewed.Labels.Count(l => l == 1);
        float[] weights = NeuralHead.ClassWeights(new NeuralHeadOptions { BalancedClassWeights = true }, skewed)!;
        Assert.Equal(2000.0 / (2 * (2000 - minority)), weights[0], 5);
        Assert.Equal(2000.0 / (2 * minority), weights[1], 5);

        double Recall(TrainedNeuralHead head)
        {
            float[] p = head.Predict(skewed);
            int hits = 0;
            for (int i = 0; i < skewed.Count; i++)
            {
                hits += skewed.Labels[i] == 1 && p[(2 * i) + 1] > p[2 * i] ? 1 : 0;
            }

            return (double)hits / minority;
        }

        var plain = new NeuralHeadOptions { Epochs = 5, AllowNoValidation = true, ValidationFraction = 0, Seed = 1 };
        var balanced = new NeuralHeadOptions { Epochs = 5, AllowNoValidation = true, ValidationFraction = 0, Seed = 1, BalancedClassWeights = true };
        double before = Recall(new SoftmaxHead(plain).TrainedOn(skewed));
        double after = Recall(new SoftmaxHead(balanced).TrainedOn(skewed));
        Assert.True(after > before + 0.1, $"minority recall {before} → {after}");
    }

    [Fact]
    public void Options_ManyInvalid_AreAllListedInOneException()
    {
        var options = new NeuralHeadOptions
        {
            Epochs = 0, BatchSize = -1, LearningRate = double.NaN, Dropout = 1, HiddenLayers = [], LabelSmoothing = -0.1,
            ClassWeights = [1f, 2f], BalancedClassWeights = true, EarlyStopping = new EarlyStopping { Patience = 0 },
            Schedule = new OneCycleSchedule { PctStart = 1 },
        };
        var error = Assert.Throws<OptionsValidationException>(() => new MlpHead(options));
        Assert.Equal(
            "Invalid NeuralHeadOptions or training data / Validation Errors:" + Environment.NewLine
            + "- Epochs must be at least 1, was 0." + Environment.NewLine
            + "- BatchSize must be at least 1, was -1." + Environment.NewLine
            + "- LearningRate must be positive and finite, was NaN; try 1e-3 with Adam or LearningRateFinder." + Environment.NewLine
            + "- LabelSmoothing must be in [0, 1), was -0.1." + Environment.NewLine
            + "- Dropout must be in [0, 1), was 1." + Environment.NewLine
            + "- HiddenLayers must hold at least one width for MlpHead, was empty; use SoftmaxHead for a head without hidden layers." + Environment.NewLine
            + "- OneCycleSchedule.PctStart must be in [0, 1), was 1; fastai uses 0.25." + Environment.NewLine
            + "- EarlyStopping.Patience must be at least 1, was 0." + Environment.NewLine
            + "- ClassWeights and BalancedClassWeights are exclusive; set one of them.",
            error.Message);
    }

    [Fact]
    public void Train_DataMismatches_AreAllListed()
    {
        FeatureMatrix wrong = SyntheticFeatures.Blobs(10, 5, 3, seed: 1);
        var head = new SoftmaxHead(new NeuralHeadOptions { ClassWeights = [1f, 1f] });
        var error = Assert.Throws<OptionsValidationException>(() => head.TrainedOn(Train, wrong));
        Assert.Equal(
            "Invalid NeuralHeadOptions or training data / Validation Errors:" + Environment.NewLine
            + "- Validation features have 5 dimensions, training features 24; featurize both with the same backbone." + Environment.NewLine
            + "- Validation data has 3 classes, training data 4; build both with the same label mapping.",
            error.Message);
        var weights = Assert.Throws<OptionsValidationException>(() => head.TrainedOn(Train, Test));
        Assert.Contains("ClassWeights must have one entry per class (4), had 2.", weights.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_SingleRowMatchesBatch_AndSumsToOne()
    {
        TrainedNeuralHead trained = new MlpHead(Quick()).TrainedOn(Train);
        float[] batch = trained.Predict(Test);
        var single = new float[4];
        for (int i = 0; i < 20; i++)
        {
            trained.Predict(Test.Row(i), single);
            Assert.Equal(batch.AsSpan(i * 4, 4).ToArray(), single);
            Assert.Equal(1.0, single.Sum(), 5);
        }

        Assert.Throws<ArgumentException>(() => trained.Predict(new float[3], single));
    }

    private sealed class ImmediateProgress : IProgress<EpochMetrics>
    {
        public List<EpochMetrics> Reports { get; } = [];

        public void Report(EpochMetrics value) => Reports.Add(value);
    }
}
