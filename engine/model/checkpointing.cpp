#include "engine/model/checkpointing.h"

#include <ATen/core/Generator.h>

namespace engine {

namespace {

// What the backward pass needs to run the layer again.
struct LayerCall : torch::CustomClassHolder
{
    LayerFn layer;
    torch::Tensor generatorState; // of the input device's default generator, before the first run
};

at::Generator generatorFor(const torch::Device &device)
{
    return at::globalContext().defaultGenerator(device);
}

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction>
{
public:
    // `anchor` requires grad, so the output does even when `input` does not
    // (the first layer's input comes from a frozen embedding).
    static torch::Tensor forward(torch::autograd::AutogradContext *context, const torch::Tensor &input,
                                 const torch::Tensor &anchor, const c10::intrusive_ptr<LayerCall> &call)
    {
        (void)anchor;
        {
            at::Generator generator = generatorFor(input.device());
            std::lock_guard<std::mutex> lock(generator.mutex());
            call->generatorState = generator.get_state();
        }
        context->save_for_backward({ input });
        context->saved_data["call"] = c10::IValue::make_capsule(call);
        return call->layer(input); // autograd is off inside a Function's forward
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *context,
                                                   torch::autograd::variable_list outputGrads)
    {
        const torch::Tensor input = context->get_saved_variables()[0];
        const auto call = c10::static_intrusive_pointer_cast<LayerCall>(context->saved_data["call"].toCapsule());
        const torch::Tensor x = input.detach().requires_grad_(true);
        torch::Tensor output;
        {
            at::Generator generator = generatorFor(input.device());
            torch::Tensor now;
            {
                std::lock_guard<std::mutex> lock(generator.mutex());
                now = generator.get_state();
                generator.set_state(call->generatorState);
            }
            torch::AutoGradMode recording(true);
            output = call->layer(x);
            std::lock_guard<std::mutex> lock(generator.mutex());
            generator.set_state(now);
        }
        // Accumulates the layer's parameter gradients and fills x.grad().
        torch::autograd::backward({ output }, { outputGrads[0] });
        return { x.grad(), torch::Tensor(), torch::Tensor() };
    }
};

} // namespace

torch::Tensor checkpointedLayer(const LayerFn &layer, const torch::Tensor &input)
{
    if (!torch::GradMode::is_enabled())
        return layer(input);
    auto call = c10::make_intrusive<LayerCall>();
    call->layer = layer;
    const torch::Tensor anchor = torch::zeros({}, torch::TensorOptions().requires_grad(true));
    return CheckpointFunction::apply(input, anchor, call);
}

} // namespace engine
