using System.Text.Json;
using Transfer.Cli.Commands;
using Transfer.Featurization;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class DeviceArgumentTests(CliData data)
{
    [Theory]
    [InlineData("cpu", false, 0)]
    [InlineData("CUDA", true, 0)]
    [InlineData("gpu", true, 0)]
    [InlineData("cuda:1", true, 1)]
    public void Parse_KnownValue_GivesTheProvider(string value, bool cuda, int device)
    {
        var provider = DeviceArgument.Parse(value);

        Assert.Equal((cuda, device, GpuFallback.Cpu), (provider.IsCuda, provider.DeviceId, provider.Fallback));
    }

    [Theory]
    [InlineData("predict")]
    [InlineData("train")]
    [InlineData("evaluate")]
    public async Task Device_UnknownValue_ExitsUsage(string verb)
    {
        string[] args = verb switch
        {
            "predict" => ["predict", data.Model, Path.Combine(data.Test, "Bag"), "--device", "tpu"],
            "evaluate" => ["evaluate", data.Model, data.Test, "--device", "tpu"],
            _ => ["train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--device", "tpu"],
        };

        var run = await CliRunner.RunAsync(args);

        TrainCommandTests.AssertError(run, ExitCode.Usage, "--device must be cpu, cuda or cuda:N (N the GPU number, from 0), was \"tpu\".");
    }

    [Fact]
    public async Task Predict_DeviceCpu_PredictsWithoutWarning()
    {
        var run = await CliRunner.RunAsync("predict", data.Model, Path.Combine(data.Test, "Bag"), "--device", "cpu", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(run.Error);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(3, json.RootElement.GetProperty("predictions").GetArrayLength());
    }

    [Fact]
    public async Task Predict_DeviceCuda_RunsOnTheGpuOrWarnsAndUsesTheCpu()
    {
        var cpu = await CliRunner.RunAsync("predict", data.Model, Path.Combine(data.Test, "Bag"), "--json");
        string log = Path.Combine(data.NewFolder("device-log"), "run.log");
        var run = await CliRunner.RunAsync("predict", data.Model, Path.Combine(data.Test, "Bag"), "--device", "cuda", "--json", "--log-file", log);

        Assert.True(run.ExitCode == 0, run.ToString());
        var probe = GpuSupport.ProbeCuda();
        if (probe.IsAvailable)
        {
            Assert.Empty(run.Error);
        }
        else
        {
            // The library's default GpuFallback.Cpu: one warning naming what is missing, then the same answers as on the CPU.
            var line = Assert.Single(run.ErrorLines);
            Assert.StartsWith("warning: --device cuda: CUDA:0 cannot be used, so the backbone runs on the CPU.", line, StringComparison.Ordinal);
            Assert.Contains(probe.Problem!, line, StringComparison.Ordinal);
            Assert.Contains($" warning Transfer.Cli[9003]: {line["warning: ".Length..]}", File.ReadAllText(log), StringComparison.Ordinal); // once, and in the log file too
            Assert.Equal(Labels(cpu.Out), Labels(run.Out));
        }
    }

    [Fact]
    public async Task Train_DeviceCuda_ReportsTheDeviceThatRan()
    {
        string model = Path.Combine(data.NewFolder("device"), "m.zip");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--cache", data.Cache, "--head", "lbfgs", "--test-fraction", "0", "--device", "cuda", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(GpuSupport.ProbeCuda().IsAvailable ? "CUDA:0" : "CPU", json.RootElement.GetProperty("device").GetString());
        Assert.Equal(18, json.RootElement.GetProperty("cacheHits").GetInt32());
    }

    private static List<string> Labels(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("label").GetString()!)];
    }
}
