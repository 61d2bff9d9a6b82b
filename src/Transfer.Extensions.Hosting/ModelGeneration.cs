using Transfer.Models;

namespace Transfer.Hosting;

/// <summary>One loaded model and its pool, counted by the requests using it; disposed once replaced and no longer used.</summary>
internal sealed class ModelGeneration
{
    private int _users;
    private int _retired;
    private int _released;

    public ModelGeneration(TransferModel model, PredictorPool pool, ModelFileSignature signature, int number)
    {
        Model = model;
        Pool = pool;
        Signature = signature;
        Number = number;
        LoadedUtc = DateTimeOffset.UtcNow;
    }

    public TransferModel Model { get; }

    public PredictorPool Pool { get; }

    public ModelFileSignature Signature { get; }

    public int Number { get; }

    public DateTimeOffset LoadedUtc { get; }

    /// <summary>Counts a user in; false when the generation was already retired and released (take the current one again).</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _users);
        if (Volatile.Read(ref _retired) == 0)
        {
            return true;
        }

        Exit();
        return false;
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _users) == 0 && Volatile.Read(ref _retired) == 1)
        {
            Release();
        }
    }

    /// <summary>Marks the generation replaced; it is disposed now if idle, else when its last user leaves.</summary>
    public void Retire()
    {
        Volatile.Write(ref _retired, 1);
        if (Volatile.Read(ref _users) == 0)
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Pool.Dispose();
            Model.Dispose();
        }
    }
}
