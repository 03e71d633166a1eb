using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's <c>get_model</c>.</summary>
public static class Models
{
    /// <summary>
    /// <c>nn.Sequential(nn.Linear(784, nh), nn.ReLU(), nn.Linear(nh, 10))</c> and <c>optim.SGD(model.parameters(), lr)</c> (cell 21).
    /// The layers are initialised on the CPU, so <c>torch.manual_seed</c> gives the course's weights on any device, then moved to
    /// <paramref name="device"/>; the optimizer is built after the move, over the moved parameters. The caller disposes both.
    /// </summary>
    /// <param name="lr">Learning rate (the lesson's 0.5).</param>
    /// <param name="nh">Hidden units (the lesson's 50).</param>
    /// <param name="device">Where the model lives; <see langword="null"/> for the CPU.</param>
    /// <param name="nIn">Inputs per sample (784).</param>
    /// <param name="nOut">Classes (10).</param>
    public static (Sequential Model, SGD Opt) GetModel(double lr = 0.5, int nh = 50, Device? device = null, int nIn = 784, int nOut = 10)
    {
        var model = GetSequential(nh, nIn, nOut);
        if (device is not null) model.to(device);
        return (model, optim.SGD(model.parameters(), lr));
    }

    /// <summary>The lesson's model alone, on the CPU: <c>nn.Sequential(nn.Linear(nIn, nh), nn.ReLU(), nn.Linear(nh, nOut))</c>. The caller disposes it.</summary>
    /// <param name="nh">Hidden units.</param>
    /// <param name="nIn">Inputs per sample.</param>
    /// <param name="nOut">Classes.</param>
    public static Sequential GetSequential(int nh = 50, int nIn = 784, int nOut = 10)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nh);
        return nn.Sequential(nn.Linear(nIn, nh), nn.ReLU(), nn.Linear(nh, nOut));
    }
}
