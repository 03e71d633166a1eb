using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests;

/// <summary>An <see cref="ITrainObserver"/> that watches nothing; a test's recorder overrides what it records.</summary>
internal class SilentObserver : ITrainObserver
{
    public virtual void Started(TrainStart start)
    {
    }

    public virtual void Batch(BatchProgress progress)
    {
    }

    public virtual void Validation(ValidationProgress progress)
    {
    }

    public virtual void Epoch(EpochResult result)
    {
    }
}
