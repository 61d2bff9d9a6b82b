using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Hosting;

/// <summary>
/// A <see cref="PredictorPool"/> over the model file named by <see cref="TransferPredictorOptions.ModelPath"/>, for servers:
/// at most <see cref="TransferPredictorOptions.PoolSize"/> predictions at once, and the model swapped for a new version of
/// its file without a restart (<see cref="ReloadIfChanged"/>, called by the hosted watcher when
/// <see cref="TransferPredictorOptions.ReloadOnChange"/> is on). A request runs entirely on the model it started with;
/// the old model is disposed when its last request finishes. A file that does not load (half copied, damaged) leaves the
/// current model serving and is reported by <see cref="Status"/> and the health check. Thread-safe.
/// </summary>
public sealed partial class ReloadingPredictorPool : IDisposable
{
    private readonly TransferPredictorOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _reloadGate = new();
    private ModelGeneration _current;
    private string? _lastError;
    private ModelFileSignature? _failedSignature;
    private bool _disposed;

    /// <summary>Loads the model and creates the pool.</summary>
    /// <param name="options">The settings; they are validated first.</param>
    /// <param name="loggerFactory">
    /// Where loads, reloads and failures are logged (category <c>Transfer.Hosting.ReloadingPredictorPool</c>), and the
    /// predictors' own warnings (<see cref="PredictorOptions.LoggerFactory"/>); <see langword="null"/> for none. The host's
    /// factory when the pool comes from dependency injection.
    /// </param>
    /// <exception cref="OptionsValidationException">A setting is wrong (the message lists each with its fix).</exception>
    /// <exception cref="InvalidDataException">The model file is not a model saved by Transfer.</exception>
    public ReloadingPredictorPool(IOptions<TransferPredictorOptions> options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var result = new TransferPredictorOptionsValidator().Validate(Microsoft.Extensions.Options.Options.DefaultName, _options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(TransferPredictorOptions), result.Failures);
        }

        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<ReloadingPredictorPool>();
        ModelPath = Path.GetFullPath(_options.ModelPath);
        _current = Load(ModelFileSignature.Read(ModelPath) ?? throw new FileNotFoundException($"The model file \"{ModelPath}\" does not exist.", ModelPath), 1);
        LogLoaded(_logger, ModelPath, _current.Model.Classes.Count, _current.Number);
    }

    /// <summary>Gets the full path of the model file.</summary>
    public string ModelPath { get; }

    /// <summary>Gets the settings.</summary>
    public TransferPredictorOptions Options => _options;

    /// <summary>Gets the class names of the model serving now.</summary>
    public IReadOnlyList<string> Classes => Volatile.Read(ref _current).Model.Classes;

    /// <summary>Gets what is serving and whether the last reload failed.</summary>
    public ModelStatus Status
    {
        get
        {
            var current = Volatile.Read(ref _current);
            return new ModelStatus(ModelPath, current.Number, current.LoadedUtc, current.Model.Classes, current.Pool.Size, current.Pool.Created, Volatile.Read(ref _lastError));
        }
    }

    /// <summary>Predicts the class of encoded image bytes on a free predictor of the current model, waiting for one if all are busy.</summary>
    /// <param name="encoded">The encoded image (PNG, JPEG, BMP, GIF, WebP…).</param>
    /// <param name="top">How many classes to list, best first.</param>
    /// <param name="cancellationToken">Stops the wait for a free predictor.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidImageException">The bytes cannot be decoded.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public Task<Prediction> PredictAsync(ReadOnlyMemory<byte> encoded, int top = 3, CancellationToken cancellationToken = default) =>
        RunAsync(p => p.Predict(encoded, top), cancellationToken);

    /// <summary>Runs work on a free predictor of the current model; the model stays alive until the work returns.</summary>
    /// <typeparam name="T">The work's result.</typeparam>
    /// <param name="work">The work; it must not keep the predictor after it returns.</param>
    /// <param name="cancellationToken">Stops the wait for a free predictor.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public async Task<T> RunAsync<T>(Func<Predictor, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var generation = Enter();
        try
        {
            return await generation.Pool.RunAsync(work, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            generation.Exit();
        }
    }

    /// <summary>
    /// Loads the model file again if it changed since the serving model was loaded and has stayed the same since
    /// <paramref name="previousCheck"/>. On failure the current model keeps serving and <see cref="ModelStatus.LastError"/> says why.
    /// </summary>
    /// <param name="previousCheck">The signature seen at the previous check (the file must be unchanged since), or <see langword="null"/> to load any change now.</param>
    /// <returns>True when a new model now serves.</returns>
    public bool ReloadIfChanged(ModelFileSignature? previousCheck = null)
    {
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var signature = ModelFileSignature.Read(ModelPath);
            var current = _current;
            if (signature is not { } seen || seen == current.Signature || seen == _failedSignature)
            {
                return false;
            }

            if (previousCheck is { } previous && previous != seen)
            {
                return false; // still changing: wait until it holds still for one interval
            }

            ModelGeneration next;
            try
            {
                next = Load(seen, current.Number + 1);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException or FormatException)
            {
                _failedSignature = seen;
                Volatile.Write(ref _lastError, $"Reloading \"{ModelPath}\" failed, so model #{current.Number} (loaded {current.LoadedUtc:u}) still serves: {e.Message}");
                LogReloadFailed(_logger, e, ModelPath, current.Number);
                return false;
            }

            _failedSignature = null;
            Volatile.Write(ref _lastError, null);
            Volatile.Write(ref _current, next);
            current.Retire();
            LogLoaded(_logger, ModelPath, next.Model.Classes.Count, next.Number);
            return true;
        }
    }

    /// <summary>Reads the model file's current signature, for <see cref="ReloadIfChanged"/>'s settle check.</summary>
    /// <returns>The signature, or <see langword="null"/> when the file is missing.</returns>
    public ModelFileSignature? ReadSignature() => ModelFileSignature.Read(ModelPath);

    /// <summary>Disposes the serving model once its requests finish.</summary>
    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _current.Retire();
        }
    }

    private ModelGeneration Enter()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            var generation = Volatile.Read(ref _current);
            if (generation.TryEnter())
            {
                return generation;
            }
        }
    }

    private ModelGeneration Load(ModelFileSignature signature, int number)
    {
        var model = TransferModel.Load(ModelPath);
        try
        {
            var predictorOptions = new PredictorOptions
            {
                IntraOpThreads = _options.IntraOpThreads > 0 ? _options.IntraOpThreads : PredictorPool.DefaultIntraOpThreads(_options.PoolSize),
                LoggerFactory = _loggerFactory,
            };
            return new ModelGeneration(model, new PredictorPool(model, _options.PoolSize, predictorOptions), signature, number);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Transfer model #{Number} serving from {Path}: {ClassCount} classes")]
    private static partial void LogLoaded(ILogger logger, string path, int classCount, int number);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Reloading the Transfer model {Path} failed; model #{Number} still serves")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception, string path, int number);
}
