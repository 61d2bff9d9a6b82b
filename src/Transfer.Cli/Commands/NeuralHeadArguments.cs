using System.CommandLine;
using System.Globalization;
using Transfer.Heads.Neural;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>train</c>'s options of the neural heads (softmax, mlp): <c>--learning-rate</c>, <c>--batch-size</c>,
/// <c>--hidden-layers 256,128</c> (mlp only) and <c>--optimizer sgd|adam|adamw</c>. Given with another head, each is a
/// usage error naming the heads that take it.
/// </summary>
internal sealed class NeuralHeadArguments
{
    private static readonly string[] NeuralHeads = ["softmax", "mlp"];
    private static readonly string[] HiddenLayerHeads = ["mlp"];

    public Option<double?> LearningRate { get; } = new("--learning-rate") { Description = string.Create(CultureInfo.InvariantCulture, $"Neural heads (softmax, mlp): the learning rate (default {NeuralHeadOptions.DefaultLearningRate:0.###E+0} with adam; about 0.01-0.1 with --optimizer sgd).") };

    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = $"Neural heads (softmax, mlp): images per mini-batch (default {NeuralHeadOptions.DefaultBatchSize})." };

    public Option<string?> HiddenLayers { get; } = new("--hidden-layers") { Description = $"mlp: the widths of the hidden layers, input side first, comma-separated (e.g. 256,128; default {NeuralHeadOptions.DefaultHiddenWidth})." };

    public Option<string?> Optimizer { get; } = CreateOptimizer();

    public IEnumerable<Option> All => [LearningRate, BatchSize, HiddenLayers, Optimizer];

    public Settings Read(ParseResult parse) => new(parse.GetValue(LearningRate), parse.GetValue(BatchSize), parse.GetValue(HiddenLayers), parse.GetValue(Optimizer));

    /// <summary>
    /// Checks the values and that <paramref name="head"/> takes them; returns what sets them on the head's options
    /// (<see langword="null"/> when none was given).
    /// </summary>
    public static Action<NeuralHeadOptions>? Validate(Settings s, string head)
    {
        string h = head.ToLowerInvariant();
        Require(s.LearningRate is not null, "--learning-rate", NeuralHeads, h);
        Require(s.BatchSize is not null, "--batch-size", NeuralHeads, h);
        Require(s.Optimizer is not null, "--optimizer", NeuralHeads, h);
        Require(s.HiddenLayers is not null, "--hidden-layers", HiddenLayerHeads, h);
        if (s.LearningRate is { } rate && !(rate > 0 && double.IsFinite(rate)))
        {
            throw new CliException(ExitCode.Usage, string.Create(CultureInfo.InvariantCulture, $"--learning-rate must be positive, was {rate}; try {NeuralHeadOptions.DefaultLearningRate} with adam."));
        }

        if (s.BatchSize is < 1)
        {
            throw new CliException(ExitCode.Usage, $"--batch-size must be at least 1, was {s.BatchSize}.");
        }

        var widths = s.HiddenLayers is null ? null : ParseWidths(s.HiddenLayers);
        NeuralOptimizer? optimizer = s.Optimizer is null ? null : ParseOptimizer(s.Optimizer);
        if (s.LearningRate is null && s.BatchSize is null && widths is null && optimizer is null)
        {
            return null;
        }

        return o =>
        {
            o.LearningRate = s.LearningRate ?? o.LearningRate;
            o.BatchSize = s.BatchSize ?? o.BatchSize;
            o.HiddenLayers = widths ?? o.HiddenLayers;
            o.Optimizer = optimizer ?? o.Optimizer;
        };
    }

    private static Option<string?> CreateOptimizer() => CliInputs.Completing(
        new Option<string?>("--optimizer") { Description = "Neural heads (softmax, mlp): the update rule, adam (the default), adamw or sgd (with momentum 0.9)." },
        ["adam", "adamw", "sgd"]);

    private static void Require(bool given, string option, string[] heads, string head)
    {
        if (given && !heads.Contains(head, StringComparer.Ordinal))
        {
            throw new CliException(ExitCode.Usage, $"{option} is for --head {string.Join(" or ", heads)}, not --head {head}. Pass --head {heads[^1]}, or leave {option} out.");
        }
    }

    private static int[] ParseWidths(string value)
    {
        string[] parts = value.Split(',', StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out widths[i]) || widths[i] < 1)
            {
                throw new CliException(ExitCode.Usage, $"--hidden-layers must be widths of at least 1 separated by commas (e.g. 256,128), was \"{value}\".");
            }
        }

        return widths;
    }

    private static NeuralOptimizer ParseOptimizer(string value) => value.ToLowerInvariant() switch
    {
        "adam" => NeuralOptimizer.Adam,
        "adamw" => NeuralOptimizer.AdamW,
        "sgd" => NeuralOptimizer.Sgd,
        _ => throw new CliException(ExitCode.Usage, $"--optimizer must be adam, adamw or sgd, was \"{value}\"."),
    };

    public sealed record Settings(double? LearningRate, int? BatchSize, string? HiddenLayers, string? Optimizer);
}
