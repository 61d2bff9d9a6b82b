using System.Text.Json;
using Transfer.Models;

namespace Transfer.Cli.Tests.Commands;

/// <summary><c>train --learning-rate --batch-size --hidden-layers --optimizer</c> reach the neural head's trainer.</summary>
[Collection(CliTestGroup.Name)]
public sealed class NeuralHeadArgumentsTests(CliData data)
{
    [Fact]
    public async Task Train_MlpFlags_ReachTheTrainedHead()
    {
        string model = Path.Combine(data.NewFolder("mlp-flags"), "mlp.zip");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--cache", data.Cache, "--head", "mlp", "--test-fraction", "0", "--epochs", "3",
            "--hidden-layers", "16,8", "--learning-rate", "0.005", "--batch-size", "4", "--optimizer", "sgd", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        string trained = json.RootElement.GetProperty("headDescription").GetString()!;
        Assert.Contains("MlpHead(epochs=3, batch=4, lr=0.005, optimizer=Sgd,", trained, StringComparison.Ordinal);
        Assert.Contains("hidden=[16,8]", trained, StringComparison.Ordinal);
        using var loaded = TransferModel.Load(model);
        Assert.Equal(trained, loaded.Manifest.HeadDescription); // what the saved head was trained with
    }

    [Theory]
    [InlineData("lbfgs", "--learning-rate", "0.01", "--learning-rate is for --head softmax or mlp, not --head lbfgs. Pass --head mlp, or leave --learning-rate out.")]
    [InlineData("auto", "--batch-size", "8", "--batch-size is for --head softmax or mlp, not --head auto.")]
    [InlineData("softmax", "--hidden-layers", "64", "--hidden-layers is for --head mlp, not --head softmax.")]
    [InlineData("knn", "--optimizer", "adam", "--optimizer is for --head softmax or mlp, not --head knn.")]
    [InlineData("mlp", "--hidden-layers", "64,0", "--hidden-layers must be widths of at least 1 separated by commas (e.g. 256,128), was \"64,0\".")]
    [InlineData("mlp", "--hidden-layers", "wide", "--hidden-layers must be widths of at least 1")]
    [InlineData("mlp", "--learning-rate", "0", "--learning-rate must be positive, was 0")]
    [InlineData("softmax", "--batch-size", "0", "--batch-size must be at least 1, was 0.")]
    [InlineData("mlp", "--optimizer", "rmsprop", "--optimizer must be adam, adamw or sgd, was \"rmsprop\".")]
    public async Task Train_NeuralFlagWithWrongHeadOrValue_ExitsUsage(string head, string option, string value, string expected)
    {
        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--head", head, option, value);

        TrainCommandTests.AssertError(run, ExitCode.Usage, expected);
    }
}
