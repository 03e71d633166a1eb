using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>Rebuilds the trained model of a <see cref="Checkpoint"/>, to evaluate it.</summary>
public static class CheckpointModel
{
    /// <summary>
    /// The lesson's <see cref="Models.GetSequential"/> (784-nh-10) with the checkpoint's weights, on
    /// <paramref name="device"/>, in evaluation mode. The caller disposes it.
    /// </summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="file">Its path, for errors.</param>
    /// <param name="device">Where the model goes.</param>
    /// <exception cref="CheckpointException">The weights do not fit the model the settings describe.</exception>
    public static Sequential Load(Checkpoint checkpoint, string file, Device device)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var model = Models.GetSequential(checkpoint.Settings.Hidden);
        try
        {
            ModelState.Restore(model, checkpoint.Weights, file);
            model.to(device);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
