using System.CommandLine;
using System.Globalization;
using Transfer.Cli.Output;
using Transfer.FineTuning;
using Transfer.Pipelines;

namespace Transfer.Cli.Commands;

/// <summary>The <c>--fine-tune</c> options of <c>transfer train</c>: what they read, how they set up the pipeline, and what is printed.</summary>
internal sealed class FineTuneArguments
{
    public Option<bool> FineTune { get; } = new("--fine-tune") { Description = "After the head, fine-tune the top of the backbone with a linear head on the training images (10 % held out to pick the epoch). The frozen model is kept when the held-out images say tuning did not help. The activations are cached (half precision) in the bottleneck cache." };

    public Option<int?> Epochs { get; } = new("--fine-tune-epochs") { Description = string.Create(CultureInfo.InvariantCulture, $"Fine-tuning epochs (default {FineTuneOptions.DefaultEpochs}; early stopping may end sooner).") };

    public Option<string> Layers { get; } = new("--fine-tune-layers") { Description = "Which layers to tune: stage (the last residual stage, ResNet18's layer4) or block (only its last block, about 3× faster).", DefaultValueFactory = _ => "stage" };

    public Option<bool> Keep { get; } = new("--fine-tune-keep") { Description = "Keep the tuned model even when the held-out images say it is not better than the frozen one." };

    public IEnumerable<Option> All => [FineTune, Epochs, Layers, Keep];

    public Settings Read(ParseResult parse) => new(parse.GetValue(FineTune), parse.GetValue(Epochs), parse.GetValue(Layers)!, parse.GetValue(Keep));

    /// <summary>What <c>--fine-tune</c> asked for.</summary>
    internal sealed record Settings(bool Enabled, int? Epochs, string Layers, bool Keep)
    {
        /// <summary>Checks the values (before any featurization) and adds the stage to the pipeline.</summary>
        /// <exception cref="CliException">A value is out of range, or a fine-tune option was given without <c>--fine-tune</c>.</exception>
        public TransferPipelineBuilder Apply(TransferPipelineBuilder builder)
        {
            var layers = Layers.ToLowerInvariant() switch
            {
                "stage" => TunedLayers.LastStage,
                "block" => TunedLayers.LastBlock,
                _ => throw new CliException(ExitCode.Usage, $"--fine-tune-layers must be stage or block, was \"{Layers}\"."),
            };
            if (Epochs is < 1)
            {
                throw new CliException(ExitCode.Usage, $"--fine-tune-epochs must be at least 1, was {Epochs}.");
            }

            if (!Enabled)
            {
                return Epochs is not null || Keep || layers != TunedLayers.LastStage
                    ? throw new CliException(ExitCode.Usage, "--fine-tune-epochs, --fine-tune-layers and --fine-tune-keep set up fine-tuning; add --fine-tune.")
                    : builder;
            }

            return builder.FineTune(o =>
            {
                o.Layers = layers;
                o.Epochs = Epochs ?? o.Epochs;
                o.KeepFrozenUnlessBetter = !Keep;
            });
        }
    }

    /// <summary>The lines <c>train</c> prints about fine-tuning.</summary>
    public static void Write(CliConsole console, TransferResult result)
    {
        if (result.FineTuning is not { } tuning)
        {
            return;
        }

        var s = tuning.Summary;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fine-tuned {s.Layers} ({s.TunedParameters:N0} weights) on {s.TrainImages} images for {tuning.History.Epochs.Count} epoch(s): {s.ImagesPerSecond:F1} images/s; activations cached in {s.CachingTime.TotalSeconds:F1} s, trained in {s.TrainingTime.TotalSeconds:F1} s."));
        foreach (var epoch in tuning.History.Epochs)
        {
            console.WriteLine("  " + epoch);
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Held-out images ({s.ValidationImages}): frozen accuracy {s.FrozenValidationAccuracy:F4} (loss {s.FrozenValidationLoss:F4}), tuned {s.TunedValidationAccuracy:F4} (loss {s.TunedValidationLoss:F4})."));
        if (s.KeptFrozen)
        {
            console.WriteLine("Fine-tuning did not help on the held-out images: the frozen model is kept (--fine-tune-keep to keep the tuned one).");
        }
        else if (result.FrozenEvaluation is { } frozen && result.Evaluation is { } tuned)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Test accuracy: frozen {frozen.MicroAccuracy:F4}, fine-tuned {tuned.MicroAccuracy:F4} (the saved model)."));
        }
    }

    public static FineTuneJson? Json(TransferResult result) => result.FineTuning is not { } tuning ? null : new FineTuneJson(
        tuning.Summary.Layers.ToString(),
        tuning.Summary.KeptFrozen,
        tuning.History.Epochs.Count,
        tuning.History.BestEpoch,
        tuning.Summary.TrainImages,
        tuning.Summary.ValidationImages,
        tuning.Summary.FrozenValidationAccuracy,
        tuning.Summary.TunedValidationAccuracy,
        tuning.Summary.FrozenValidationLoss,
        tuning.Summary.TunedValidationLoss,
        tuning.Summary.ImagesPerSecond,
        tuning.Summary.CachingTime.TotalSeconds,
        tuning.Summary.TrainingTime.TotalSeconds,
        result.FrozenEvaluation is null ? null : EvaluationJson.From(result.FrozenEvaluation));

    /// <summary>The plain-text progress lines of fine-tuning: a line per epoch.</summary>
    public static void WriteProgress(CliConsole console, PipelineProgress p)
    {
        if (p.FineTuning is { Completed: { } epoch })
        {
            console.WriteLine("Fine-tuning " + epoch);
        }
        else if (p.FineTuning is { Stage: FineTuneStage.WarmStart })
        {
            console.WriteLine("Fine-tuning: fitting the warm-start head on the frozen features...");
        }
    }
}
