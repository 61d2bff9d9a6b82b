using Transfer.Backbones;
using Transfer.FineTuning;
using Transfer.Validation;

namespace Transfer.Pipelines;

/// <summary>The fine-tuning stage of the builder.</summary>
public sealed partial class TransferPipelineBuilder
{
    private Action<FineTuneOptions>? _fineTune;

    /// <summary>
    /// After the frozen head, fine-tunes the top of the backbone (ResNet18's last stage by default) with a linear head on
    /// the training images (<see cref="FineTuner"/>): the saved model then carries the tuned backbone, with a fingerprint
    /// of its own. When the held-out images say tuning did not help, the frozen model is kept
    /// (<see cref="FineTuneOptions.KeepFrozenUnlessBetter"/>); <see cref="TransferResult.FineTuning"/> says which.
    /// </summary>
    /// <param name="configure">Sets the options, e.g. <c>o =&gt; o.Epochs = 4</c>; <see langword="null"/> for the defaults. Checked at <see cref="Build"/>.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder FineTune(Action<FineTuneOptions>? configure = null)
    {
        _fineTune = configure ?? (_ => { });
        return this;
    }

    /// <summary>The fine-tuning options when <see cref="FineTune"/> was called and they are valid with the rest; problems go to <paramref name="problems"/>.</summary>
    private FineTuneOptions? CheckFineTune(ValidationProblems problems, Backbone backbone)
    {
        if (_fineTune is null)
        {
            return null;
        }

        var options = new FineTuneOptions();
        bool valid = problems.AddFrom("FineTune: ", () =>
        {
            _fineTune(options);
            options.Validate();
        });
        if (_fromCache)
        {
            problems.Add("FineTune runs the backbone's trunk on every image, but FromCache runs it on none; use CacheBottlenecks(folder) instead of FromCache.");
        }

        if (_quantize || backbone.IsQuantized)
        {
            problems.Add("FineTune trains floating-point weights, but the backbone is int8 (QuantizeBackbone or a quantized backbone); fine-tune the floating-point backbone instead.");
        }

        return valid ? options : null;
    }
}
