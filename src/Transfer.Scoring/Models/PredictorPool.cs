using System.Collections.Concurrent;
using Transfer.Images;

namespace Transfer.Models;

/// <summary>
/// A bounded pool of <see cref="Predictor"/>s for servers: at most <see cref="Size"/> predictions run at once, each on a
/// predictor of its own, and further callers wait asynchronously (back-pressure instead of oversubscribed cores).
/// A single <see cref="Predictor"/> is already thread-safe; the pool adds the bound, and lets each predictor use fewer
/// ONNX Runtime threads (<see cref="PredictorOptions.IntraOpThreads"/>) so concurrent requests do not fight for cores.
/// Predictors are created on first need. Thread-safe; dispose it to free the ONNX Runtime sessions.
/// </summary>
public sealed class PredictorPool : IDisposable
{
    private readonly TransferModel _model;
    private readonly PredictorOptions _options;
    private readonly ConcurrentBag<Predictor> _idle = [];
    private readonly SemaphoreSlim _slots;
    private readonly Lock _gate = new();
    private volatile bool _disposed;
    private int _created;

    /// <summary>Initializes a pool over a loaded model.</summary>
    /// <param name="model">The model; it must stay undisposed while the pool creates predictors.</param>
    /// <param name="size">The most predictors (and concurrent predictions), at least 1.</param>
    /// <param name="options">The options of every predictor; <see langword="null"/> for <see cref="DefaultIntraOpThreads"/> ONNX Runtime threads each.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 1.</exception>
    public PredictorPool(TransferModel model, int size, PredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (size < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"The pool size must be at least 1, was {size}. Pass the number of predictions to run at once (e.g. the core count).");
        }

        _model = model;
        _options = options ?? new PredictorOptions { IntraOpThreads = DefaultIntraOpThreads(size) };
        _slots = new SemaphoreSlim(size, size);
        Size = size;
        Classes = model.Classes;
    }

    /// <summary>The ONNX Runtime threads of each predictor when a pool's options do not say: the cores divided by the pool size, at least 1, so that full pools do not oversubscribe the cores.</summary>
    /// <param name="size">The pool size.</param>
    /// <returns>The thread count.</returns>
    public static int DefaultIntraOpThreads(int size) => Math.Max(1, Environment.ProcessorCount / Math.Max(1, size));

    /// <summary>Gets the most predictors the pool holds, which is also the most predictions run at once.</summary>
    public int Size { get; }

    /// <summary>Gets the number of predictors created so far.</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>Gets the class names.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Predicts the class of encoded image bytes on a free predictor, waiting for one if all are busy.</summary>
    /// <param name="encoded">The encoded image (PNG, JPEG, BMP, GIF, WebP…).</param>
    /// <param name="top">How many classes to list, best first.</param>
    /// <param name="cancellationToken">Stops the wait for a free predictor.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidImageException">The bytes cannot be decoded.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public Task<Prediction> PredictAsync(ReadOnlyMemory<byte> encoded, int top = 3, CancellationToken cancellationToken = default) =>
        RunAsync(p => p.Predict(encoded, top), cancellationToken);

    /// <summary>Predicts the class of an image file on a free predictor, waiting for one if all are busy.</summary>
    /// <param name="imagePath">The image file.</param>
    /// <param name="top">How many classes to list, best first.</param>
    /// <param name="cancellationToken">Stops the wait for a free predictor.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidImageException">The file cannot be read or decoded.</exception>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public Task<Prediction> PredictAsync(string imagePath, int top = 3, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        return RunAsync(p => p.Predict(imagePath, top), cancellationToken);
    }

    /// <summary>
    /// Runs work on a free predictor, waiting for one if all are busy; the predictor is returned to the pool afterwards.
    /// The work runs on the calling thread once a predictor is free (prediction is CPU-bound; no thread hop is added).
    /// </summary>
    /// <typeparam name="T">The work's result.</typeparam>
    /// <param name="work">The work; it must not keep the predictor after it returns.</param>
    /// <param name="cancellationToken">Stops the wait for a free predictor.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting.</exception>
    public async Task<T> RunAsync<T>(Func<Predictor, T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var predictor = Take();
            try
            {
                return work(predictor);
            }
            finally
            {
                Return(predictor);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Disposes the idle predictors; those still predicting are disposed when they finish.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        lock (_gate)
        {
            _disposed = true;
            while (_idle.TryTake(out var predictor))
            {
                predictor.Dispose();
            }
        }
    }

    private Predictor Take()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryTake(out var predictor))
        {
            return predictor;
        }

        // A slot is held and no predictor is idle, so fewer than Size exist: create one (serialized, so the count stays bounded).
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            predictor = _model.CreatePredictor(_options);
            _created++;
            return predictor;
        }
    }

    private void Return(Predictor predictor)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                // Disposed while this prediction ran: nobody else will dispose this predictor.
                predictor.Dispose();
            }
            else
            {
                _idle.Add(predictor);
            }
        }
    }
}
