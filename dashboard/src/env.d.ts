/// <reference types="svelte" />
/// <reference types="vite/client" />
declare const __BUQI_PREVIEW__: boolean;
