using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Reporting;
using Transfer.Validation;

namespace Transfer.Pipelines;

/// <summary>
/// Configures a <see cref="TransferPipeline"/>. Each setting is checked when made and all of them together at
/// <see cref="Build"/>, which lists every problem in one exception. Single use: <see cref="Build"/> once.
/// </summary>
public sealed partial class TransferPipelineBuilder
{
    /// <summary>
    /// Above this many images, a run with neither a test set nor a test fraction estimates its accuracy on a 20 %
    /// hold-out instead of by 5-fold cross-validation (five more head fits would then cost minutes); the saved model is
    /// still trained on every image.
    /// </summary>
    public const int CrossValidationImageLimit = 20_000;

    private readonly ImageSet _images;
    private Backbone? _backbone;
    private ImagePreprocessing _preprocessing = ImagePreprocessing.Default;
    private bool _preprocessingSet;
    private FeaturizerOptions _featurizerOptions = new();
    private HeadTrainer? _head;
    private Action<NeuralHeadOptions>? _configureHead;
    private bool _fromCache;
    private ImageSet? _test;
    private double? _testFraction;
    private int _folds = Evaluation.CrossValidation.DefaultFolds;
    private AugmentationPolicy? _augmentation;
    private int _seed = 42;
    private string? _cacheDirectory;
    private bool _cacheDisabled;
    private bool _built;
    private bool _crossValidate;
    private string? _reportPath;
    private QuantizationOptions? _quantization;
    private bool _quantize;
    private EvaluationReportOptions? _reportOptions;

    internal TransferPipelineBuilder(ImageSet images) => _images = images;

    /// <summary>Uses a backbone (default: <see cref="Backbones.Backbones.Default"/>, ResNet18 with stage 3 pooled in, 768 features).</summary>
    /// <param name="backbone">The backbone.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder WithBackbone(Backbone backbone)
    {
        _backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        return this;
    }

    /// <summary>
    /// Sets how images become pixels. Default: <see cref="ImagePreprocessing.Default"/> with the resize mode chosen from a
    /// sample of the training images by <see cref="PreprocessingChoice.For"/> (a centre crop for opaque photos, a stretch for
    /// images with transparency and small images), or the <see cref="QuantizationOptions.Preprocessing"/> when
    /// <see cref="QuantizeBackbone"/> was given options.
    /// </summary>
    /// <param name="preprocessing">The settings.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder WithPreprocessing(ImagePreprocessing preprocessing)
    {
        _preprocessing = preprocessing ?? throw new ArgumentNullException(nameof(preprocessing));
        _preprocessingSet = true;
        return this;
    }

    /// <summary>Sets featurizer options (batch size, threads, bad-image policy); their preprocessing is replaced by <see cref="WithPreprocessing"/>'s.</summary>
    /// <param name="options">The options.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder WithFeaturizer(FeaturizerOptions options)
    {
        _featurizerOptions = options ?? throw new ArgumentNullException(nameof(options));
        return this;
    }

    /// <summary>
    /// Caches bottleneck features in a folder (content-addressed: reruns, renamed files and added images reuse them).
    /// By default the cache is <c>.bottlenecks</c> inside the image folder, when the set came from a folder or manifest.
    /// </summary>
    /// <param name="directory">The cache folder.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder CacheBottlenecks(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _cacheDirectory = directory;
        _cacheDisabled = false;
        return this;
    }

    /// <summary>Computes every feature afresh and stores none.</summary>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder WithoutBottleneckCache()
    {
        _cacheDisabled = true;
        _cacheDirectory = null;
        return this;
    }

    /// <summary>
    /// Trains from features already in a bottleneck cache, without running the backbone on any image: each image is
    /// found by the SHA-256 of its bytes (renamed or moved files still match; an edited file does not), under the
    /// fingerprint of this pipeline's backbone and preprocessing. The labels come from the image set (the cache holds
    /// none). <see cref="TransferPipeline.RunAsync"/> fails before training, naming the images not in the cache, if any is missing.
    /// </summary>
    /// <param name="directory">The cache folder a previous run (or <see cref="TransferPipeline.FeaturizeAsync"/>) filled.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder FromCache(string directory)
    {
        CacheBottlenecks(directory);
        _fromCache = true;
        return this;
    }

    /// <summary>Trains the head with the given trainer (default: <see cref="AutoHeadTrainer"/>, which chooses among maximum-entropy heads of several L2 weights and an MLP by cross-validation; <see cref="MaximumEntropyHeadTrainer"/> is ML.NET's <c>LbfgsMaximumEntropy</c> objective and defaults; <see cref="MlNetHeadTrainer"/> runs ML.NET's own trainers).</summary>
    /// <param name="trainer">The head trainer.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder TrainHead(HeadTrainer trainer)
    {
        _head = trainer ?? throw new ArgumentNullException(nameof(trainer));
        _configureHead = null;
        return this;
    }

    /// <summary>
    /// Trains a neural head configured in place: an <see cref="MlpHead"/>, or a <see cref="SoftmaxHead"/> when
    /// <see cref="NeuralHeadOptions.HiddenLayers"/> is set empty. The options are checked at <see cref="Build"/>.
    /// </summary>
    /// <param name="configure">Sets the options, e.g. <c>o => { o.Epochs = 30; o.ValidationFraction = 0.2; }</c>.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder TrainHead(Action<NeuralHeadOptions> configure)
    {
        _configureHead = configure ?? throw new ArgumentNullException(nameof(configure));
        _head = null;
        return this;
    }

    /// <summary>Evaluates on a separate test set (the same as <see cref="TestOn"/>).</summary>
    /// <param name="test">The test images; their labels must be among the training classes.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder Evaluate(ImageSet test) => TestOn(test);

    /// <summary>Evaluates on a stratified fraction of the images held out from training (the same as <see cref="TestFraction"/>).</summary>
    /// <param name="fraction">The fraction, in [0, 1).</param>
    /// <param name="seed">The split's seed.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder Evaluate(double fraction, int seed = 42) => TestFraction(fraction, seed);

    /// <summary>Evaluates on a separate test set (instead of a fraction of the images).</summary>
    /// <param name="test">The test images; their labels must be among the training classes.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder TestOn(ImageSet test)
    {
        _test = test ?? throw new ArgumentNullException(nameof(test));
        return this;
    }

    /// <summary>
    /// Holds out a stratified fraction of the images to estimate the accuracy on, then trains the saved model on every
    /// image; 0 for no estimate. Without it (and without a test set) the estimate is cross-validated (<see cref="CrossValidate"/>).
    /// </summary>
    /// <param name="fraction">The fraction, in [0, 1).</param>
    /// <param name="seed">The split's seed.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder TestFraction(double fraction, int seed = 42)
    {
        _testFraction = fraction;
        _seed = seed;
        _crossValidate = false;
        return this;
    }

    /// <summary>
    /// Estimates the accuracy by stratified k-fold cross-validation over the training images (the default when no test
    /// set or fraction is given; above <see cref="CrossValidationImageLimit"/> images the default is a 20 % hold-out):
    /// every image is scored once by a head trained without it, and the saved model is then trained on every image.
    /// </summary>
    /// <param name="folds">The number of folds (fewer when the smallest class has fewer images).</param>
    /// <param name="seed">The seed of the fold assignment.</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder CrossValidate(int folds = Evaluation.CrossValidation.DefaultFolds, int seed = 42)
    {
        _folds = folds;
        _testFraction = 0;
        _test = null;
        _seed = seed;
        _crossValidate = true;
        return this;
    }

    /// <summary>
    /// Trains on augmented views of the training images too (<see cref="AugmentationView.ForPolicy"/>): each view is
    /// featurized once and cached in a store of its own, so reruns hit. With <see cref="AugmentationPolicy.Auto"/> the
    /// mirrored view is used (in training, and as a test-time flip inside the saved model) only when it lowers the
    /// cross-validated log-loss of the automatic head; flipping is never forced.
    /// </summary>
    /// <param name="policy">
    /// The policy. Default: <see cref="AugmentationPolicy.Auto"/> with the automatic head; <see cref="AugmentationPolicy.None"/>
    /// with a pinned head or <see cref="FromCache"/> (which runs the backbone on no image).
    /// </param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder Augment(AugmentationPolicy policy)
    {
        _augmentation = policy;
        return this;
    }

    /// <summary>
    /// Writes a self-contained HTML evaluation report after the run (<see cref="EvaluationReport"/>): metrics, confusion
    /// matrix, training curves, the worst mistakes as thumbnails, a dataset audit (duplicates, train/test leakage) and the
    /// run manifest, which is also saved as JSON beside the report. Needs an evaluation (a test set or a test fraction above 0).
    /// </summary>
    /// <param name="path">The HTML file to write (its folder is created).</param>
    /// <param name="options">Report options (default: <see cref="EvaluationReportOptions"/>'s defaults).</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder WriteReport(string path, EvaluationReportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _reportPath = path;
        _reportOptions = options;
        return this;
    }

    /// <summary>
    /// Runs the backbone in int8: before featurizing, it is quantized (<see cref="Backbone.QuantizeAsync"/>) with
    /// calibration images drawn from the training images, on the pipeline's preprocessing. The int8 backbone has its own
    /// cache fingerprint and is stored in the saved model.
    /// </summary>
    /// <param name="options">Quantization options (default: <see cref="QuantizationOptions"/>'s defaults with the pipeline's preprocessing).</param>
    /// <returns>This builder.</returns>
    public TransferPipelineBuilder QuantizeBackbone(QuantizationOptions? options = null)
    {
        _quantize = true;
        _quantization = options;
        return this;
    }

    /// <summary>Checks the whole configuration and creates the pipeline.</summary>
    /// <returns>The immutable pipeline.</returns>
    /// <exception cref="OptionsValidationException">The configuration is invalid; <see cref="OptionsValidationException.Problems"/> lists every problem, nested options' prefixed with the method that set them (<c>TrainHead: </c>).</exception>
    /// <exception cref="InvalidOperationException">The builder was already built.</exception>
    public TransferPipeline Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("This builder was already built; start a new one with TransferPipeline.For(images).");
        }

        var problems = new ValidationProblems();
        if (_images.Count == 0)
        {
            problems.Add("The image set is empty.");
        }

        if (_images.Classes.Count < 2)
        {
            problems.Add($"The image set has {_images.Classes.Count} class(es) ({string.Join(", ", _images.Classes)}); a classifier needs at least two. Add a folder of images for each class.");
        }

        if (_test is null && _testFraction is < 0 or >= 1)
        {
            problems.Add($"TestFraction must be in [0, 1), was {_testFraction}.");
        }

        if (_folds < 2)
        {
            problems.Add($"CrossValidate: folds must be at least 2, was {_folds}.");
        }

        var augmentation = _augmentation ?? (_head is null or AutoHeadTrainer && _configureHead is null && !_fromCache ? AugmentationPolicy.Auto : AugmentationPolicy.None);
        if (!Enum.IsDefined(augmentation))
        {
            problems.Add($"Augment: {augmentation} is not an augmentation policy; use None, Flip, Standard or Auto.");
        }
        else if (augmentation == AugmentationPolicy.Auto && ((_head is not null and not AutoHeadTrainer) || _configureHead is not null))
        {
            problems.Add("Augment(Auto) decides by the automatic head's cross-validation, but a head was pinned; pin Flip or Standard instead, or leave the head to the automatic choice.");
        }

        if (_test is not null)
        {
            var unknown = _test.Classes.Except(_images.Classes, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                problems.Add($"The test set has classes not in the training set: {string.Join(", ", unknown)}. Remove them or add training images for them.");
            }
        }

        // Unset preprocessing: the quantizer's when it was given options, else chosen for these images and this backbone.
        string? preprocessingReason = null;
        var backbone = _backbone ?? Backbones.Backbones.Default;
        var preprocessing = _preprocessing;
        if (!_preprocessingSet && _quantization is not null)
        {
            preprocessing = _quantization.Preprocessing;
        }
        else if (!_preprocessingSet && _images.Count > 0)
        {
            var choice = PreprocessingChoice.For(_images.Entries, backbone.Width, backbone.Height);
            (preprocessing, preprocessingReason) = (choice.Preprocessing, choice.Reason);
        }

        preprocessing = ApplyDecode(preprocessing);

        var featurizerOptions = _featurizerOptions with { Preprocessing = preprocessing, LoggerFactory = _featurizerOptions.LoggerFactory ?? _loggerFactory };
        problems.AddFrom(string.Empty, featurizerOptions.Validate);

        HeadTrainer? head = _head;
        if (_configureHead is not null)
        {
            var options = new NeuralHeadOptions();
            problems.AddFrom("TrainHead: ", () =>
            {
                _configureHead(options);
                head = new NeuralHeadTrainer(options.HiddenLayers is { Count: 0 } ? new SoftmaxHead(options) : new MlpHead(options));
            });
        }

        if (_fromCache)
        {
            if (_cacheDisabled)
            {
                problems.Add("FromCache and WithoutBottleneckCache exclude each other; remove one.");
            }
            else if (!Directory.Exists(_cacheDirectory))
            {
                problems.Add($"FromCache: the cache folder \"{Path.GetFullPath(_cacheDirectory!)}\" does not exist. Fill it first with CacheBottlenecks(folder), or FeaturizeAsync.");
            }
        }

        if (_quantize)
        {
            if (_quantization is not null && _quantization.Preprocessing != preprocessing)
            {
                problems.Add("QuantizeBackbone: QuantizationOptions.Preprocessing differs from the pipeline's (WithPreprocessing); calibrate on the pixels the featurizer sees: set Preprocessing to the pipeline's, or leave it out of both.");
            }

            if (backbone is { IsQuantized: true } quantized)
            {
                problems.Add($"QuantizeBackbone: the backbone \"{quantized.Name}\" is already int8; remove QuantizeBackbone or pass the fp32 backbone.");
            }

            problems.AddFrom("QuantizeBackbone: ", (_quantization ?? new QuantizationOptions { Preprocessing = preprocessing }).Validate);
        }

        if (_reportPath is not null)
        {
            if (_test is null && _testFraction == 0 && !_crossValidate)
            {
                problems.Add("WriteReport needs an evaluation, but there is no test set (TestFraction is 0). Call Evaluate(testImages) or Evaluate(fraction) with a fraction above 0.");
            }

            if (_reportOptions is not null)
            {
                problems.AddFrom("WriteReport: ", _reportOptions.Validate);
            }
        }

        var fineTune = CheckFineTune(problems, backbone);
        problems.ThrowIfAny("pipeline");

        _built = true;
        string? cache = _cacheDisabled ? null : _cacheDirectory ?? (_images.Root is { } root ? Caching.BottleneckCache.GetDefaultDirectory(root) : null);
        // Neither a test set nor a fraction: every image counts — cross-validate (or hold out on very large sets), then train on all.
        bool byDefault = _test is null && _testFraction is null;
        double fraction = _testFraction ?? (byDefault && _images.Count > CrossValidationImageLimit ? 0.2 : 0);
        int folds = _test is null && (_crossValidate || (byDefault && fraction == 0)) ? _folds : 0;
        return new TransferPipeline(_images, backbone, featurizerOptions, head ?? new AutoHeadTrainer(new AutoHeadOptions { Seed = _seed }), _test, fraction, _seed, cache, _fromCache)
        {
            CrossValidationFolds = folds,
            Augmentation = augmentation,
            PreprocessingReason = preprocessingReason,
            ReportPath = _reportPath is null ? null : Path.GetFullPath(_reportPath),
            ReportOptions = _reportOptions,
            UnknownFalseRejectionRate = _unknownRate,
            Quantization = _quantize ? _quantization ?? new QuantizationOptions { Preprocessing = preprocessing } : null,
            FineTune = fineTune,
            LoggerFactory = _loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        };
    }
}
