using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Core.Tests.Heads.MlNet;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;

namespace Transfer.Core.Tests.Heads.Neural;

public sealed class NeuralHeadTrainerTests
{
    private static readonly string[] Classes = ["apple", "banana", "cherry"];

    private sealed class Output
    {
        public string PredictedLabel { get; set; } = string.Empty;

        [VectorType]
        public float[] Score { get; set; } = [];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScoringTransformer_SavedAndReloaded_MatchesInProcessPrediction(bool mlp)
    {
        var train = MlNetHeadTrainerTests.Blobs(40, 12, 1);
        var options = new NeuralHeadOptions { Epochs = 5, Seed = 3, HiddenLayers = [16] };
        NeuralHead head = mlp ? new MlpHead(options) : new SoftmaxHead(options);
        var trained = new NeuralHeadTrainer(head).Train(train, null, Classes);
        var test = MlNetHeadTrainerTests.Blobs(5, 12, 2);
        var expected = trained.PredictProbabilities(test);

        var ml = new MLContext(0);
        var data = FeatureDataView.Create(ml, test, Classes);
        string path = Path.Combine(Path.GetTempPath(), $"transfer-head-test-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(trained.ScoringTransformer, data.Schema, path);
            var loaded = ml.Model.Load(path, out _);
            var rows = ml.Data.CreateEnumerable<Output>(loaded.Transform(data), reuseRowObject: false).ToList();
            Assert.Equal(test.Count, rows.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                var p = expected.AsSpan(i * 3, 3);
                for (int k = 0; k < 3; k++)
                {
                    Assert.True(Math.Abs(p[k] - rows[i].Score[k]) < 1e-5, $"row {i} class {k}: {p[k]} vs {rows[i].Score[k]}");
                }

                int best = p.IndexOf(TensorMax(p));
                Assert.Equal(Classes[best], rows[i].PredictedLabel);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Train_ReturnsTheTrainedNeuralHead_WithClassNamesHistoryAndTrainerName()
    {
        var train = MlNetHeadTrainerTests.Blobs(40, 12, 1);
        var trainer = new NeuralHeadTrainer(new MlpHead(new NeuralHeadOptions { Epochs = 3, Seed = 3, HiddenLayers = [8] }));

        TrainedNeuralHead trained = trainer.Train(train, null, Classes);

        Assert.Equal(Classes, trained.Classes);
        Assert.Equal("mlp", trained.TrainerName);
        Assert.Equal(new[] { 8 }, trained.HiddenLayers);
        Assert.Equal(12, trained.FeatureLength);
        Assert.Same(trained.History, ((TrainedHead)trained).History);
        Assert.Equal(3, trained.History.Epochs.Count);
        Assert.Equal(trained.Predict(train), trained.PredictProbabilities(train));
    }

    [Fact]
    public void ObsoleteNeuralHeadTrain_ForwardsToTheTrainer_SameWeightsAndIndexClassNames()
    {
        var train = MlNetHeadTrainerTests.Blobs(40, 12, 1);
        var options = new NeuralHeadOptions { Epochs = 3, Seed = 3 };
        TrainedNeuralHead viaTrainer = new NeuralHeadTrainer(new SoftmaxHead(options)).Train(train, null, Classes);

#pragma warning disable CS0618 // The forwarder under test is obsolete on purpose.
        TrainedNeuralHead viaHead = new SoftmaxHead(options).Train(train);
#pragma warning restore CS0618

        Assert.Equal(viaTrainer.Network.Parameters, viaHead.Network.Parameters);
        Assert.Equal(new[] { "0", "1", "2" }, viaHead.Classes);
        Assert.Equal("softmax", viaHead.TrainerName);
    }

    private static float TensorMax(ReadOnlySpan<float> values)
    {
        float max = values[0];
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }

        return max;
    }
}
